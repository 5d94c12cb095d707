// pnpm bench:server — POST /token and POST /authenticate over HTTP against the real
// keygate-server process (the built CLI, production mode), on PostgreSQL (when DATABASE_URL is
// set) and on PGlite, signing with EdDSA and RS256, next to the raw signing rate of one CPU
// measured in the same run. Not a test: the numbers depend on the machine.
//
// Each round starts a fresh server pinned to the last CPU (taskset, when there are ≥ 2), drives
// it with autocannon from the others, and measures the raw signing loop pinned the same way, so
// "× raw" compares like with like. Medians over the rounds, with the range.
import { execFileSync, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rawSigningRate } from '../../../bench/token-issuer.mjs'

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3)
const DURATION_S = 2
const CONNECTIONS = 10
const ALGORITHMS = ['EdDSA', 'RS256']
const here = fileURLToPath(new URL('.', import.meta.url))
const CLI = join(here, '..', 'dist', 'cli.js')
const ADMIN_TOKEN = crypto.randomBytes(32).toString('base64url')
const ENCRYPTION_SECRET = crypto.randomBytes(32).toString('base64url')

function pinning() {
  const cpus = os.availableParallelism()
  if (cpus < 2) return undefined
  try {
    execFileSync('taskset', ['-pc', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' })
    return String(cpus - 1)
  } catch {
    return undefined
  }
}

function spawnPinned(pin, args, options) {
  return pin
    ? spawn('taskset', ['-c', pin, process.execPath, ...args], options)
    : spawn(process.execPath, args, options)
}

/** Resolves with the first stdout line that `match` accepts (parsed JSON). */
function firstLine(child, match) {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stderr?.on('data', (chunk) => {
      err += chunk
    })
    child.stdout.on('data', (chunk) => {
      out += chunk
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue
        try {
          const value = JSON.parse(line)
          if (match(value)) return resolve(value)
        } catch {}
      }
    })
    child.once('exit', (code) => reject(new Error(`child exited with ${code}: ${err}`)))
  })
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise((resolve) => {
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

/** A loopback port free right now (the server is told to use it, so it can log at warn only). */
async function freePort() {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startServer(pin, backend, algorithm) {
  const port = await freePort()
  const env = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(port),
    KEYGATE_ENV: 'production',
    KEYGATE_ISSUER: 'http://127.0.0.1',
    KEYGATE_KEY_ENCRYPTION_SECRET: ENCRYPTION_SECRET,
    KEYGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    KEYGATE_SIGNING_ALGORITHM: algorithm,
    // No request log lines: the measured path is the issuer's, not the logger's.
    KEYGATE_LOG_LEVEL: 'warn',
    ...backend.env(),
  }
  const child = spawnPinned(pin, [CLI], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const url = `http://127.0.0.1:${port}`
  // Generous: a fresh database and the first signing key, on a machine that may be busy.
  const deadline = Date.now() + 180_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return { child, url }
    if (Date.now() > deadline) {
      await stop(child)
      throw new Error('server did not become ready in 180 s')
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function setup(url) {
  const json = { 'content-type': 'application/json' }
  const created = await fetch(`${url}/admin/api-keys`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ subject: 'svc-bench', name: 'bench', permissions: ['read'] }),
  })
  const { id, key } = await created.json()
  const caller = { key: crypto.randomBytes(16).toString('hex'), identifier: crypto.randomUUID() }
  const registered = await fetch(`${url}/register_key`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(caller),
  })
  if (created.status !== 201 || registered.status !== 201) throw new Error('bench setup failed')
  return {
    token: {
      method: 'POST',
      path: '/token',
      headers: {
        authorization: `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    },
    authenticate: {
      method: 'POST',
      path: '/authenticate',
      headers: json,
      body: JSON.stringify(caller),
    },
  }
}

async function main() {
  const { default: autocannon } = await import('autocannon')
  const pin = pinning()
  const backends = []
  const cleanups = []
  if (process.env.DATABASE_URL) {
    const schema = `keygate_bench_${process.pid}`
    backends.push({
      name: 'PostgreSQL',
      env: () => ({ DATABASE_URL: process.env.DATABASE_URL, KEYGATE_DB_SCHEMA: schema }),
    })
    cleanups.push(async () => {
      const { default: pg } = await import('pg')
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
      await client.connect()
      await client.query(`drop schema if exists "${schema}" cascade`)
      await client.end()
    })
  } else {
    console.log('DATABASE_URL is unset: PostgreSQL is skipped, PGlite only.')
  }
  backends.push({
    name: 'PGlite',
    // A fresh data directory per server: PGlite is single-process, and each round starts clean.
    env: () => {
      const dir = mkdtempSync(join(os.tmpdir(), 'keygate-bench-'))
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
      return { KEYGATE_DATA_DIR: dir }
    },
  })

  const rows = []
  try {
    for (const backend of backends) {
      for (const algorithm of ALGORITHMS) {
        const runs = { token: [], authenticate: [] }
        const raw = []
        for (let round = 0; round < ROUNDS; round++) {
          const signer = spawnPinned(pin, [fileURLToPath(import.meta.url), '--raw', algorithm], {
            stdio: ['ignore', 'pipe', 'inherit'],
          })
          raw.push((await firstLine(signer, (v) => typeof v.rate === 'number')).rate)
          const { child, url } = await startServer(pin, backend, algorithm)
          try {
            const requests = await setup(url)
            for (const route of ['token', 'authenticate']) {
              const options = { url, connections: CONNECTIONS, requests: [requests[route]] }
              await autocannon({ ...options, duration: 1 })
              const result = await autocannon({ ...options, duration: DURATION_S })
              if (result.non2xx || result.errors) {
                throw new Error(
                  `${backend.name} ${algorithm} ${route}: ${result.non2xx + result.errors} failed requests`,
                )
              }
              runs[route].push({ rps: result.requests.average, p99: result.latency.p99 })
            }
          } finally {
            await stop(child)
          }
        }
        for (const route of ['token', 'authenticate']) {
          rows.push({
            backend: backend.name,
            algorithm,
            route,
            rps: runs[route].map((r) => r.rps),
            p99: runs[route].map((r) => r.p99),
            ratio: runs[route].map((r, i) => r.rps / raw[i]),
            raw,
          })
        }
      }
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {})
  }

  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
  const range = (values, digits = 0) =>
    `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`
  console.log(
    `\nkeygate-server over HTTP, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s per route, Node ${process.version}${pin ? `, server and signer pinned to CPU ${pin}` : ', unpinned'}.`,
  )
  console.log(
    'The machine is shared with other builds and tests: absolute numbers are noisy, read the ratios. Median (min–max).\n',
  )
  const header = ['backend', 'alg', 'route', 'req/s', 'p99 ms', 'raw sign/s', '× raw']
  const table = rows.map((r) => [
    r.backend,
    r.algorithm,
    `POST /${r.route}`,
    range(r.rps),
    range(r.p99),
    range(r.raw),
    range(r.ratio, 3),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)))
  const format = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ')
  console.log(format(header))
  for (const row of table) console.log(format(row))
  console.log(
    "\n× raw: the server's req/s ÷ one CPU's raw signing rate in the same round. Each /token and /authenticate\nalso writes a refresh token (and reads the key) in the database: the ratio is what a request costs beyond its signature.",
  )
}

if (process.argv[2] === '--raw') {
  // One CPU signing in a tight loop: the ceiling any issuer on that CPU is compared with.
  console.log(JSON.stringify({ rate: rawSigningRate(process.argv[3], DURATION_S) }))
} else {
  await main()
}
