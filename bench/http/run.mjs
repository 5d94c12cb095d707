// pnpm bench:http — req/s and p99 of a protected GET (RS256) per framework: no auth, Keygate
// without and with its token cache, and the framework's usual peer, plus JWKS fetches during a
// 500-request burst on a cold process. Not a test: numbers depend on the machine.
//
// Layout: this process holds the JWKS (createTestIssuer on 127.0.0.1) and drives autocannon;
// each server runs alone in a child process (servers.mjs), so the load generator and the
// server under test never share an event loop. Everything stays on 127.0.0.1.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createTestIssuer } from '../../packages/core/dist/testing/index.js'

// `node run.mjs --duration=2` for a quicker, noisier run.
const DURATION_S = Number(process.argv.find((a) => a.startsWith('--duration='))?.slice(11) ?? 2)
// `--rounds=5` for more passes (the best one counts): steadier figures on a busy machine.
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3)
const WARMUP_S = 1
const CONNECTIONS = 10
const BURST = 500
const BURST_CONNECTIONS = 100

const ALL_VARIANTS = [
  ['express', 'none'],
  ['express', 'noop'],
  ['express', 'keygate'],
  ['express', 'keygate-cache'],
  ['express', 'express-jwt'],
  ['fastify', 'none'],
  ['fastify', 'noop'],
  ['fastify', 'keygate'],
  ['fastify', 'keygate-cache'],
  ['fastify', '@fastify/jwt'],
  ['fastify', 'fastify-jwt-jwks'],
  ['hono', 'none'],
  ['hono', 'noop'],
  ['hono', 'keygate'],
  ['hono', 'keygate-cache'],
  ['hono', 'keygate-withauth-cache'],
  ['hono', 'hono/jwk'],
  ['node', 'none'],
  ['node', 'jose'],
]
// `--only=hono,fastify` limits the run to some frameworks.
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const VARIANTS = ALL_VARIANTS.filter(([framework]) => !only || only.includes(framework))
const LABEL = {
  none: 'no auth',
  noop: 'no-op middleware',
  keygate: 'Keygate',
  'keygate-cache': 'Keygate + token cache',
  'keygate-withauth-cache': 'Keygate withAuth + cache',
  jose: 'jose jwtVerify',
}

const issuer = await createTestIssuer({ algorithms: ['RS256'] })
await issuer.listen()
const token = await issuer.sign({ sub: 'bench-user', scope: 'read' }, { expiresIn: 3600 })
const config = JSON.stringify({
  issuer: issuer.issuer,
  audience: issuer.audience,
  jwksUri: issuer.jwksUri,
  publicJwk: issuer.keys[0].publicJwk,
})
const serverScript = fileURLToPath(new URL('./servers.mjs', import.meta.url))

// A child that fails to start is retried once: in a monorepo, a concurrent `dist` rebuild can
// briefly remove the files it imports.
async function startServer(framework, kind) {
  try {
    return await spawnServer(framework, kind)
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 5000))
    return spawnServer(framework, kind)
  }
}

async function spawnServer(framework, kind) {
  const child = spawn(process.execPath, [serverScript, `${framework}:${kind}`, config], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve(JSON.parse(line).port)
    })
    child.once('exit', (code) => reject(new Error(`${framework}:${kind} exited with ${code}`)))
  })
  const stop = () =>
    new Promise((resolve) => {
      child.once('exit', resolve)
      child.kill('SIGTERM')
    })
  const cpu = () =>
    new Promise((resolve) => {
      child.once('message', ({ user, system }) => resolve(user + system))
      child.send('cpu')
    })
  return { url: `http://127.0.0.1:${port}/r`, stop, cpu }
}

const load = (url, options) =>
  autocannon({ url, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS, ...options })

// Every server starts first and stays up; then ROUNDS round-robin passes measure each one, and
// the best pass counts. Interleaving spreads any drift in machine load over all variants, and
// best-of-N discards passes disturbed by other processes (this machine is shared).
const servers = []
for (const [framework, kind] of VARIANTS) {
  const server = await startServer(framework, kind)
  servers.push({ framework, kind, server, best: undefined })
  await load(server.url, { duration: WARMUP_S })
}
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const entry of servers) {
      const cpuBefore = await entry.server.cpu()
      const result = await load(entry.server.url, { duration: DURATION_S })
      const cpuMicros = (await entry.server.cpu()) - cpuBefore
      const run = {
        rps: result.requests.average,
        p99: result.latency.p99,
        cpu: cpuMicros / result.requests.total,
        bad: result.non2xx + result.errors,
      }
      const bad = (entry.best?.bad ?? 0) + run.bad
      const cpu = Math.min(entry.best?.cpu ?? Number.POSITIVE_INFINITY, run.cpu)
      if (!entry.best || run.rps > entry.best.rps) entry.best = run
      entry.best = { ...entry.best, bad, cpu }
    }
  }
} finally {
  await Promise.all(servers.map((entry) => entry.server.stop()))
}
const rows = servers.map(({ framework, kind, best }) => ({ framework, kind, ...best }))

const bursts = []
for (const [framework, kind] of VARIANTS) {
  if (kind === 'none' || kind === 'noop' || kind === '@fastify/jwt') continue // no JWKS involved
  const before = issuer.counters.jwks
  const server = await startServer(framework, kind)
  try {
    const result = await load(server.url, { amount: BURST, connections: BURST_CONNECTIONS })
    bursts.push({
      framework,
      kind,
      fetches: issuer.counters.jwks - before,
      bad: result.non2xx + result.errors,
    })
  } finally {
    await server.stop()
  }
}
await issuer.close()

const noAuth = (framework) => rows.find((r) => r.framework === framework && r.kind === 'none')
const pad = (value, width, right = false) =>
  right ? String(value).padStart(width) : String(value).padEnd(width)
console.log(
  `\nProtected GET, RS256, ${CONNECTIONS} connections, best of ${ROUNDS} interleaved ${DURATION_S} s runs (after ${WARMUP_S} s warm-up), Node ${process.version}\n`,
)
console.log(
  `${pad('framework', 10)}${pad('variant', 24)}${pad('req/s', 10, true)}${pad('p99 ms', 9, true)}${pad('auth÷no-auth', 14, true)}${pad('CPU µs/req', 12, true)}${pad('CPU ratio', 11, true)}`,
)
for (const r of rows) {
  const base = noAuth(r.framework)
  const ratio = (r.rps / base.rps).toFixed(2)
  // The same ratio from the server's CPU time per request (no-auth CPU ÷ this CPU).
  const cpuRatio = (base.cpu / r.cpu).toFixed(2)
  const warn = r.bad > 0 ? `  (${r.bad} non-2xx/errors!)` : ''
  console.log(
    `${pad(r.framework, 10)}${pad(LABEL[r.kind] ?? r.kind, 24)}${pad(Math.round(r.rps), 10, true)}${pad(r.p99, 9, true)}${pad(ratio, 14, true)}${pad(r.cpu.toFixed(1), 12, true)}${pad(cpuRatio, 11, true)}${warn}`,
  )
}
console.log('\nCPU µs/req: server CPU time (user + system) per request, least of the runs.')
console.log(
  `\nJWKS fetches during a ${BURST}-request burst (${BURST_CONNECTIONS} connections) on a cold process\n`,
)
console.log(`${pad('framework', 10)}${pad('variant', 24)}${pad('fetches', 9, true)}`)
for (const b of bursts) {
  const warn = b.bad > 0 ? `  (${b.bad} non-2xx/errors!)` : ''
  console.log(`${pad(b.framework, 10)}${pad(LABEL[b.kind] ?? b.kind, 24)}${pad(b.fetches, 9, true)}${warn}`)
}
