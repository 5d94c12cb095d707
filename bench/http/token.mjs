// pnpm bench:token — POST /token over real HTTP on 127.0.0.1, the issuer mounted the way each
// package's README shows (node:http with core's Node bridge, Express and Fastify mountIssuer,
// Hono with issuer.handle on @hono/node-server), next to the raw signing rate of one CPU
// measured in the same run. client_credentials with an API key over HTTP Basic, memory store,
// a refresh token with each access token. Not a test: numbers depend on the machine.
//
// The in-process figure of issue 5 is `pnpm bench:issuer`; this one adds what a server costs
// around it (HTTP parsing, the framework, the socket), so its ratios are lower by design.
// Each server runs alone in a child process pinned to the last CPU (with taskset), autocannon
// on the others; the raw signing rate is measured in a child pinned the same way.
import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:http'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { benchIssuer, FORM_BODY, rawSigningRate } from '../token-issuer.mjs'

const ALGORITHMS = ['EdDSA', 'ES256']
const FRAMEWORKS = ['node', 'express', 'fastify', 'hono']
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3)
const DURATION_S = 2
const CONNECTIONS = 10
const script = fileURLToPath(import.meta.url)

// How each package's README mounts the issuer; each resolves to the port it listens on.
const listen = {
  async node(issuer) {
    const { sendIssuerResponse, toIssuerRequest } = await import('../../packages/core/dist/http/index.js')
    const server = createServer((req, res) => {
      issuer
        .respond(toIssuerRequest(req, { clientAddress: req.socket.remoteAddress }))
        .then((answer) => sendIssuerResponse(res, answer))
    })
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
  },
  async express(issuer) {
    const { default: express } = await import('express')
    const { mountIssuer } = await import('../../packages/express/dist/index.js')
    const app = express()
    app.use(mountIssuer(issuer))
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port))
    })
  },
  async fastify(issuer) {
    const { default: Fastify } = await import('fastify')
    const { mountIssuer } = await import('../../packages/fastify/dist/index.js')
    const app = Fastify()
    await app.register(mountIssuer(issuer))
    return Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port)
  },
  async hono(issuer) {
    const { Hono } = await import('hono')
    const { serve } = await import('@hono/node-server')
    const { getConnInfo } = await import('@hono/node-server/conninfo')
    const app = new Hono()
    app.all('/*', (c) => issuer.handle(c.req.raw, { clientAddress: getConnInfo(c).remote.address }))
    return new Promise((resolve) => {
      serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port))
    })
  },
}

async function main() {
  const { default: autocannon } = await import('autocannon')
  const cpus = os.availableParallelism()
  let pin
  if (cpus >= 2) {
    try {
      execFileSync('taskset', ['-pc', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' })
      pin = String(cpus - 1)
    } catch {
      pin = undefined
    }
  }
  const child = (args) =>
    pin
      ? spawn('taskset', ['-c', pin, process.execPath, script, ...args], {
          stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        })
      : spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const firstLine = (proc) =>
    new Promise((resolve, reject) => {
      let out = ''
      proc.stdout.on('data', (chunk) => {
        out += chunk
        const line = out.split('\n').find((l) => l.startsWith('{'))
        if (line) resolve(JSON.parse(line))
      })
      proc.once('exit', (code) => reject(new Error(`child exited with ${code}`)))
    })
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]

  const rows = []
  for (const algorithm of ALGORITHMS) {
    const raw = []
    const runs = Object.fromEntries(FRAMEWORKS.map((f) => [f, []]))
    for (let round = 0; round < ROUNDS; round++) {
      const signer = child(['--raw', algorithm])
      raw.push((await firstLine(signer)).rate)
      for (const framework of FRAMEWORKS) {
        const server = child(['--server', framework, algorithm])
        try {
          const { port, basic } = await firstLine(server)
          const cpu = () =>
            new Promise((resolve) => {
              server.once('message', ({ user, system }) => resolve(user + system))
              server.send('cpu')
            })
          const options = {
            url: `http://127.0.0.1:${port}/token`,
            method: 'POST',
            headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: FORM_BODY,
            connections: CONNECTIONS,
          }
          await autocannon({ ...options, duration: 1 })
          const before = await cpu()
          const result = await autocannon({ ...options, duration: DURATION_S })
          const micros = (await cpu()) - before
          if (result.non2xx || result.errors) {
            throw new Error(`${framework}: ${result.non2xx + result.errors} failed requests`)
          }
          runs[framework].push({ rps: result.requests.average, cpu: micros / result.requests.total })
        } finally {
          if (server.exitCode === null && server.signalCode === null) {
            await new Promise((resolve) => {
              server.once('exit', resolve)
              server.kill()
            })
          }
        }
      }
    }
    const rawRate = median(raw)
    for (const framework of FRAMEWORKS) {
      const rps = median(runs[framework].map((r) => r.rps))
      const cpu = median(runs[framework].map((r) => r.cpu))
      rows.push({
        algorithm,
        framework,
        rps,
        cpu,
        rawRate,
        ratio: rps / rawRate,
        cpuRatio: 1e6 / cpu / rawRate,
      })
    }
  }

  const pad = (v, w) => String(v).padStart(w)
  console.log(
    `\nPOST /token over HTTP, ${CONNECTIONS} connections, medians of ${ROUNDS} ${DURATION_S} s runs, Node ${process.version}${pin ? `, servers and signer pinned to CPU ${pin}` : ', unpinned'}\n`,
  )
  console.log(
    `${'alg'.padEnd(7)}${'mount'.padEnd(26)}${pad('raw sign/s', 11)}${pad('req/s', 9)}${pad('× raw', 8)}${pad('CPU µs/req', 12)}${pad('× raw (CPU)', 13)}`,
  )
  const MOUNT = {
    node: 'node:http + respond',
    express: 'Express mountIssuer',
    fastify: 'Fastify mountIssuer',
    hono: 'Hono + handle (node-server)',
  }
  for (const r of rows) {
    console.log(
      `${r.algorithm.padEnd(7)}${MOUNT[r.framework].padEnd(26)}${pad(Math.round(r.rawRate), 11)}${pad(Math.round(r.rps), 9)}${pad(r.ratio.toFixed(2), 8)}${pad(r.cpu.toFixed(1), 12)}${pad(r.cpuRatio.toFixed(2), 13)}`,
    )
  }
  console.log(
    '\n× raw: req/s ÷ the raw signing rate of one CPU; × raw (CPU): requests per server CPU second ÷ the same.',
  )
}

// A child (one issuer server, or the raw signing loop) or the parent driving them.
if (process.argv[2] === '--server') {
  const [framework, algorithm] = process.argv.slice(3)
  const { issuer, basic } = await benchIssuer(algorithm)
  const port = await listen[framework](issuer)
  process.on('message', () => process.send(process.cpuUsage()))
  console.log(JSON.stringify({ port, basic }))
} else if (process.argv[2] === '--raw') {
  // One CPU signing in a tight loop: the ceiling any issuer on that CPU is compared with.
  console.log(JSON.stringify({ rate: rawSigningRate(process.argv[3], DURATION_S) }))
} else {
  await main()
}
