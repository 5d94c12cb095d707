// pnpm bench:http — req/s and p99 of a protected GET (RS256) per framework: no auth, Keygate
// without and with its token cache, and the framework's usual peer, plus JWKS fetches during a
// 500-request burst on a cold process. Not a test: numbers depend on the machine.
//
// Layout: this process holds the JWKS (createTestIssuer on 127.0.0.1) and drives autocannon;
// each server runs alone in a child process (servers.mjs), so the load generator and the
// server under test never share an event loop. Everything stays on 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createTestIssuer } from '../../packages/core/dist/testing/index.js'

// `node run.mjs --duration=2` for a quicker, noisier run.
const DURATION_S = Number(process.argv.find((a) => a.startsWith('--duration='))?.slice(11) ?? 2)
// `--rounds=9` for more passes: steadier medians on a busy machine.
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5)
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

// With `taskset` and at least two CPUs, the servers run on the last CPU and this process (the
// load generator) on the others, so autocannon never competes with the server it measures.
const PIN = (() => {
  const cpus = os.availableParallelism()
  if (cpus < 2 || process.argv.includes('--no-pin')) return undefined
  try {
    execFileSync('taskset', ['-pc', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' })
    return { server: String(cpus - 1), load: `0-${cpus - 2}` }
  } catch {
    return undefined // no taskset: unpinned
  }
})()

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
  const args = [serverScript, `${framework}:${kind}`, config]
  const child = PIN
    ? spawn('taskset', ['-c', PIN.server, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
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
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
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

// The servers share one CPU: a server that just took load goes on working for a while after it
// (V8 finishing garbage collection, the memory reducer), which would be charged to the next one
// measured. Before each measurement, wait until every server is idle (under 2% of a CPU over
// 100 ms), for up to 5 s.
async function settle(all) {
  const deadline = performance.now() + 5000
  let before = await Promise.all(all.map((server) => server.cpu()))
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = await Promise.all(all.map((server) => server.cpu()))
    const busiest = Math.max(...after.map((cpu, i) => cpu - before[i]))
    if (busiest < 2000) return
    before = after
  }
  console.error('bench: servers still busy after 5 s; measuring anyway')
}

// Each pass starts every server afresh, one framework at a time: its servers start, warm up and
// are measured round-robin, then stop before the next framework's start. Fresh processes per
// pass matter: the same server measured in two processes differs by up to 10% (memory layout,
// JIT), and a process kept for every pass would carry one such draw into all of them; other
// frameworks' idle servers on the same CPU were seen to skew a pass too. A variant's ratios are
// taken against its framework's no-auth server of the same pass (moments apart), and the
// median over the passes is reported: a pass disturbed by other processes (this machine is
// shared) moves a median far less than a best-of or a mean.
const servers = VARIANTS.map(([framework, kind]) => ({ framework, kind, runs: [] }))
for (let round = 0; round < ROUNDS; round++) {
  for (const framework of new Set(VARIANTS.map(([name]) => name))) {
    const group = servers.filter((entry) => entry.framework === framework)
    const running = []
    try {
      for (const entry of group) {
        const server = await startServer(framework, entry.kind)
        running.push(server)
        await load(server.url, { duration: WARMUP_S })
      }
      // A different variant leads each pass, so an order effect averages out over the passes.
      for (let k = 0; k < group.length; k++) {
        const i = (k + round) % group.length
        const entry = group[i]
        await settle(running)
        const server = running[i]
        const cpuBefore = await server.cpu()
        const result = await load(server.url, { duration: DURATION_S })
        const cpuMicros = (await server.cpu()) - cpuBefore
        entry.runs.push({
          rps: result.requests.average,
          p99: result.latency.p99,
          cpu: cpuMicros / result.requests.total,
          bad: result.non2xx + result.errors,
        })
      }
    } finally {
      await Promise.all(running.map((server) => server.stop()))
    }
  }
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const rows = servers.map(({ framework, kind, runs }) => {
  const base = servers.find((s) => s.framework === framework && s.kind === 'none').runs
  return {
    framework,
    kind,
    rps: median(runs.map((r) => r.rps)),
    p99: median(runs.map((r) => r.p99)),
    cpu: median(runs.map((r) => r.cpu)),
    ratio: median(runs.map((r, i) => r.rps / base[i].rps)),
    cpuRatio: median(runs.map((r, i) => base[i].cpu / r.cpu)),
    bad: runs.reduce((sum, r) => sum + r.bad, 0),
  }
})

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

const pad = (value, width, right = false) =>
  right ? String(value).padStart(width) : String(value).padEnd(width)
console.log(
  `\nProtected GET, RS256, ${CONNECTIONS} connections, medians of ${ROUNDS} passes of ${DURATION_S} s runs on fresh servers (after ${WARMUP_S} s warm-up), Node ${process.version}${PIN ? `, servers pinned to CPU ${PIN.server}, load on CPU ${PIN.load}` : ', unpinned'}\n`,
)
console.log(
  `${pad('framework', 10)}${pad('variant', 24)}${pad('req/s', 10, true)}${pad('p99 ms', 9, true)}${pad('auth÷no-auth', 14, true)}${pad('CPU µs/req', 12, true)}${pad('CPU ratio', 11, true)}`,
)
for (const r of rows) {
  const ratio = r.ratio.toFixed(2)
  // The same ratio from the server's CPU time per request (no-auth CPU ÷ this CPU).
  const cpuRatio = r.cpuRatio.toFixed(2)
  const warn = r.bad > 0 ? `  (${r.bad} non-2xx/errors!)` : ''
  console.log(
    `${pad(r.framework, 10)}${pad(LABEL[r.kind] ?? r.kind, 24)}${pad(Math.round(r.rps), 10, true)}${pad(r.p99, 9, true)}${pad(ratio, 14, true)}${pad(r.cpu.toFixed(1), 12, true)}${pad(cpuRatio, 11, true)}${warn}`,
  )
}
console.log(
  '\nRatios: this variant ÷ its no-auth server in the same pass, median over passes. CPU µs/req: server CPU time (user + system) per request.',
)
console.log(
  `\nJWKS fetches during a ${BURST}-request burst (${BURST_CONNECTIONS} connections) on a cold process\n`,
)
console.log(`${pad('framework', 10)}${pad('variant', 24)}${pad('fetches', 9, true)}`)
for (const b of bursts) {
  const warn = b.bad > 0 ? `  (${b.bad} non-2xx/errors!)` : ''
  console.log(`${pad(b.framework, 10)}${pad(LABEL[b.kind] ?? b.kind, 24)}${pad(b.fetches, 9, true)}${warn}`)
}
