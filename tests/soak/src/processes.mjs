// The soak's child processes: keygate-server (the published bin, as a user runs it) and one
// API process per framework, plus reading a process's resident set size.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const API_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'api.mjs')
// PGlite creating a fresh database takes seconds on an idle machine, much longer on a loaded one.
const START_TIMEOUT_MS = 180_000
const STOP_TIMEOUT_MS = 20_000

/** The `keygate-server` bin of the installed @keygate/server, resolved the way npm links it. */
function serverBin() {
  const manifestPath = require.resolve('@keygate/server/package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  return join(dirname(manifestPath), manifest.bin['keygate-server'])
}

/** A free TCP port on 127.0.0.1 (the issuer's URL must be known before it starts: it is the `iss`). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

async function poll(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function watchExit(child) {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

async function stopChild(child, exited) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  const result = await exited
  clearTimeout(killer)
  return result
}

/**
 * Starts keygate-server in production mode with every secret set, on PostgreSQL (`databaseUrl`,
 * a schema of its own, dropped afterwards) or PGlite in a temporary directory. Resolves once
 * `/readyz` answers 200.
 *
 * @param {{ databaseUrl?: string, env: Record<string, string> }} options
 */
export async function startKeygateServer(options) {
  const adminToken = `soak-admin-${randomBytes(24).toString('base64url')}`
  const dataDir = await mkdtemp(join(tmpdir(), 'keygate-soak-'))
  const schema = `keygate_soak_${process.pid}_${randomBytes(3).toString('hex')}`
  const lastError = []
  // The port is chosen before the start (the issuer URL is every token's `iss`): if another
  // process takes it in between, the server exits and we try another.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const env = {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      KEYGATE_ENV: 'production',
      KEYGATE_ISSUER: url,
      KEYGATE_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
      KEYGATE_ADMIN_TOKEN: adminToken,
      ...(options.databaseUrl
        ? { DATABASE_URL: options.databaseUrl, KEYGATE_DB_SCHEMA: schema }
        : { KEYGATE_DATA_DIR: dataDir }),
      ...options.env,
    }
    const child = spawn(process.execPath, [serverBin()], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = watchExit(child)
    const log = { lines: 0, errors: 0, warnings: 0, stderr: '', errorMessages: /** @type {string[]} */ ([]) }
    let pending = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        log.lines++
        let entry
        try {
          entry = JSON.parse(line)
        } catch {
          continue
        }
        // pino levels: 40 warn, 50 error, 60 fatal.
        if (entry.level >= 50) {
          log.errors++
          if (log.errorMessages.length < 20) log.errorMessages.push(String(entry.msg ?? entry.event ?? ''))
        } else if (entry.level >= 40) log.warnings++
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      if (log.stderr.length < 10_000) log.stderr += chunk
    })
    let gone = false
    exited.then(() => {
      gone = true
    })
    try {
      await poll(
        'keygate-server /readyz',
        async () => {
          if (gone) throw new Error(`keygate-server exited before it was ready: ${log.stderr.trim()}`)
          try {
            return (await fetch(`${url}/readyz`)).status === 200
          } catch {
            return false
          }
        },
        START_TIMEOUT_MS,
      )
    } catch (error) {
      lastError.push(error)
      await stopChild(child, exited)
      if (/EADDRINUSE/.test(log.stderr)) continue
      break
    }
    return {
      url,
      adminToken,
      pid: child.pid,
      log,
      /** True while the process runs. */
      running: () => !gone,
      /** SIGTERM (graceful shutdown), then removes its data; resolves with the exit code. */
      async stop() {
        const result = await stopChild(child, exited)
        await rm(dataDir, { recursive: true, force: true })
        if (options.databaseUrl) await dropSchema(options.databaseUrl, schema)
        return result
      },
    }
  }
  await rm(dataDir, { recursive: true, force: true })
  throw new Error(`keygate-server did not start: ${lastError.map((e) => e.message).join(' / ')}`)
}

async function dropSchema(databaseUrl, schema) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(`drop schema if exists "${schema}" cascade`)
  } finally {
    await client.end()
  }
}

/**
 * Starts one API process (`api.mjs <framework>`) and resolves with its URL once it listens.
 *
 * @param {string} framework
 * @param {{ issuer: string, audience: string }} options
 */
export function startAPI(framework, options) {
  const child = spawn(process.execPath, ['--expose-gc', API_ENTRY, framework], {
    env: { PATH: process.env.PATH ?? '', SOAK_ISSUER: options.issuer, SOAK_AUDIENCE: options.audience },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = watchExit(child)
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    if (stderr.length < 10_000) stderr += chunk
  })
  let gone = false
  exited.then(() => {
    gone = true
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${framework} API did not start within ${START_TIMEOUT_MS} ms: ${stderr}`))
    }, START_TIMEOUT_MS)
    let pending = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      pending += chunk
      const newline = pending.indexOf('\n')
      if (newline === -1) return
      clearTimeout(timer)
      const { url } = JSON.parse(pending.slice(0, newline))
      resolve({
        framework,
        url,
        pid: child.pid,
        stderr: () => stderr,
        running: () => !gone,
        /** What the API answered so far (its /soak/stats). */
        async stats() {
          return (await fetch(`${url}/soak/stats`)).json()
        },
        /** Its V8 heap right after a full garbage collection, in bytes. */
        async heapAfterGC() {
          return (await (await fetch(`${url}/soak/heap`)).json()).heapUsed
        },
        stop: () => stopChild(child, exited),
      })
    })
    exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`${framework} API exited (${code}) before listening: ${stderr}`))
    })
  })
}

/**
 * Resident set size of a process in bytes: `/proc/<pid>/status` (VmRSS) on Linux, `ps` elsewhere.
 *
 * @param {number} pid
 */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    if (match) return Number(match[1]) * 1024
  } catch {
    // Not Linux, or the process is gone: ask ps.
  }
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024
  } catch {
    return Number.NaN
  }
}
