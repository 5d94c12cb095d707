// pnpm bench:http — req/s and server CPU per request of a protected GET (RS256, a realistic
// access token) per framework: no auth, a no-op middleware, Keygate without and with its token
// cache, and the framework's usual peers; then JWKS fetches during a 500-request burst on a
// cold process and during unknown-kid and random-kid storms. Not a test: numbers depend on the
// machine.
//
// Layout: this process holds the JWKS (createTestIssuer on 127.0.0.1) and drives autocannon;
// each server runs alone in a child process (servers.mjs), so the load generator and the
// server under test never share an event loop. Everything stays on 127.0.0.1.
//
// Method (issue 17): every measurement of a variant is paired with a measurement of its
// framework's no-auth server taken right next to it (order alternating between rounds), and
// the ratio is taken within the pair, so both sides see the same load swings of a shared
// machine. Reported: the median of the per-pair ratios and their range over the rounds, and
// server CPU time per request (from the child's process.cpuUsage) with the per-pair difference
// to no-auth, which other processes' load disturbs far less than req/s.
import { execFileSync, spawn } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createTestIssuer } from '../../packages/core/dist/testing/index.js'

// `node run.mjs --duration=5` for longer runs (seconds per measurement).
const DURATION_S = Number(process.argv.find((a) => a.startsWith('--duration='))?.slice(11) ?? 3)
// `--rounds=9` for more pairs: steadier medians on a busy machine.
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5)
const WARMUP_S = 2
// What the peers' published comparisons use.
const CONNECTIONS = 50
// A burst is this many requests at once: one per connection, all in flight together.
const BURST = 500
// Requests of each kid storm (at CONNECTIONS), each with an unknown kid.
const STORM = 500

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
  ['fastify', '@fastify/jwt-cache'],
  ['fastify', 'fastify-jwt-jwks'],
  ['hono', 'none'],
  ['hono', 'noop'],
  ['hono', 'keygate'],
  ['hono', 'keygate-cache'],
  ['hono', 'keygate-withauth-cache'],
  ['hono', 'hono/jwk'],
  ['node', 'none'],
  ['node', 'crypto'],
  ['node', 'keygate'],
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
  '@fastify/jwt': '@fastify/jwt (static key)',
  '@fastify/jwt-cache': '@fastify/jwt + its cache',
  jose: 'jose jwtVerify',
  crypto: 'node:crypto verify only',
}
// The node row's Keygate is core's `authenticate` without a framework, no cache.
const labelOf = (framework, kind) =>
  framework === 'node' && kind === 'keygate' ? 'Keygate core, no framework' : (LABEL[kind] ?? kind)

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
// A realistic access token (the claims of bench/verify.mjs), not a two-claim one: parsing,
// claim checks and principal building cost what they cost in production.
const now = Math.floor(Date.now() / 1000)
const CLAIMS = {
  sub: 'bench-user',
  iat: now,
  nbf: now,
  jti: 'b7e0c2d4-1a6f-4b0e-9d2a-6c8f1e3a5b7d',
  scope: 'orders:read orders:write profile',
  client_id: 'bench-client',
}
const token = await issuer.sign(CLAIMS, { expiresIn: 3600 })
// Storms: the same unknown kid every time, and a different one per request.
const unknownKid = await issuer.sign(CLAIMS, { kid: 'no-such-kid', expiresIn: 3600 })
const randomKids = []
for (let i = 0; i < STORM; i++) {
  randomKids.push(await issuer.sign(CLAIMS, { kid: `random-${i}-${Math.random()}`, expiresIn: 3600 }))
}
const config = JSON.stringify({
  issuer: issuer.issuer,
  audience: issuer.audience,
  jwksUri: issuer.jwksUri,
  publicJwk: issuer.keys[0].publicJwk,
  token,
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
  // The child's CPU time so far, µs: user + system, and the system (kernel) part.
  const cpu = () =>
    new Promise((resolve) => {
      child.once('message', ({ user, system }) => resolve({ total: user + system, system }))
      child.send('cpu')
    })
  return { url: `http://127.0.0.1:${port}/r`, stop, cpu }
}

const load = (url, options) =>
  autocannon({ url, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS, ...options })

// Requests cycling through `tokens`, one per request.
const loadTokens = (url, tokens, options) => {
  let next = 0
  const setupRequest = (request) => {
    request.headers = { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` }
    return request
  }
  return autocannon({ url, requests: [{ setupRequest }], connections: CONNECTIONS, ...options })
}

// The servers share one CPU: a server that just took load goes on working for a while after it
// (V8 finishing garbage collection, the memory reducer), which would be charged to the next one
// measured. Before each measurement, wait until every server is idle (under 2% of a CPU over
// 100 ms), for up to 5 s.
async function settle(all) {
  const deadline = performance.now() + 5000
  const totals = () => Promise.all(all.map(async (server) => (await server.cpu()).total))
  let before = await totals()
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = await totals()
    const busiest = Math.max(...after.map((cpu, i) => cpu - before[i]))
    if (busiest < 2000) return
    before = after
  }
  console.error('bench: servers still busy after 5 s; measuring anyway')
}

// Each pass starts every server afresh, one framework at a time: its servers start and warm
// up, then each variant is measured in a pair with the no-auth server, moments apart, and stops
// before the next framework's start. Fresh processes per pass matter: the same server measured
// in two processes differs by up to 10% (memory layout, JIT), and a process kept for every pass
// would carry one such draw into all of them. A different variant leads each pass, and the pair
// order alternates, so order effects average out.
async function measure(server, running) {
  await settle(running)
  const cpuBefore = await server.cpu()
  const started = performance.now()
  const result = await load(server.url, { duration: DURATION_S })
  const cpuAfter = await server.cpu()
  const cpuMicros = cpuAfter.total - cpuBefore.total
  const wallMicros = (performance.now() - started) * 1000
  return {
    busy: cpuMicros / wallMicros,
    rps: result.requests.average,
    p99: result.latency.p99,
    cpu: cpuMicros / result.requests.total,
    system: (cpuAfter.system - cpuBefore.system) / result.requests.total,
    bad: result.non2xx + result.errors,
  }
}

// The in-process yardsticks (see `yardstick` in servers.mjs), once per round in a fresh process
// on the servers' CPU, so they see the same machine as the servers they are compared with.
async function measureYardstick() {
  const args = [serverScript, 'yardstick:in-process', config]
  const child = PIN
    ? spawn('taskset', ['-c', PIN.server, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the in-process yardstick exited with ${code}`)
  return JSON.parse(out)
}
const yardsticks = []

const servers = VARIANTS.map(([framework, kind]) => ({ framework, kind, runs: [], pairs: [] }))
for (let round = 0; round < ROUNDS; round++) {
  yardsticks.push(await measureYardstick())
  for (const framework of new Set(VARIANTS.map(([name]) => name))) {
    const group = servers.filter((entry) => entry.framework === framework)
    const baseIndex = group.findIndex((entry) => entry.kind === 'none')
    const running = []
    try {
      for (const entry of group) {
        const server = await startServer(framework, entry.kind)
        running.push(server)
        await load(server.url, { duration: WARMUP_S })
      }
      const others = group.map((_, i) => i).filter((i) => i !== baseIndex)
      for (let k = 0; k < others.length; k++) {
        const i = others[(k + round) % others.length]
        const baseFirst = (round + k) % 2 === 0
        const first = await measure(running[baseFirst ? baseIndex : i], running)
        const second = await measure(running[baseFirst ? i : baseIndex], running)
        const [base, run] = baseFirst ? [first, second] : [second, first]
        group[baseIndex].runs.push(base)
        group[i].runs.push(run)
        group[i].pairs.push({ ratio: run.rps / base.rps, cpuDelta: run.cpu - base.cpu })
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
const rows = servers.map(({ framework, kind, runs, pairs }) => ({
  framework,
  kind,
  rps: median(runs.map((r) => r.rps)),
  p99: median(runs.map((r) => r.p99)),
  cpu: runs.map((r) => r.cpu),
  system: runs.map((r) => r.system),
  ratio: pairs.map((p) => p.ratio),
  cpuDelta: pairs.map((p) => p.cpuDelta),
  bad: runs.reduce((sum, r) => sum + r.bad, 0),
  busy: runs.map((r) => r.busy),
}))

const verifyMicros = median(yardsticks.map((y) => y.verify))
const cryptoMicros = median(yardsticks.map((y) => y.crypto))

// A cold process gets BURST requests at once; a warm one (the valid token verified once) gets
// the kid storms. Fetches are counted at the JWKS; every storm request must be refused.
const bursts = []
for (const [framework, kind] of VARIANTS) {
  // No JWKS involved.
  if (kind === 'none' || kind === 'noop' || kind === 'crypto' || kind.startsWith('@fastify/jwt')) continue
  const row = { framework, kind }
  let before = issuer.counters.jwks
  let server = await startServer(framework, kind)
  try {
    const result = await load(server.url, { amount: BURST, connections: BURST })
    row.burst = issuer.counters.jwks - before
    row.burstBad = result.non2xx + result.errors
  } finally {
    await server.stop()
  }
  server = await startServer(framework, kind)
  try {
    await load(server.url, { amount: 1, connections: 1 })
    for (const [name, tokens] of [
      ['unknown', [unknownKid]],
      ['random', randomKids],
    ]) {
      before = issuer.counters.jwks
      let accepted = 0
      const result = await loadTokens(server.url, tokens, { amount: STORM })
      accepted = result['2xx']
      row[name] = issuer.counters.jwks - before
      row[`${name}Accepted`] = accepted + result.errors
    }
  } finally {
    await server.stop()
  }
  bursts.push(row)
}
await issuer.close()

const pad = (value, width, right = false) =>
  right ? String(value).padStart(width) : String(value).padEnd(width)
const range = (values, digits) => {
  if (values.length === 0) return '–'
  const sorted = [...values].sort((a, b) => a - b)
  const f = (v) => v.toFixed(digits)
  return `${f(median(values))} [${f(sorted[0])}–${f(sorted.at(-1))}]`
}
console.log(
  `\nProtected GET, RS256 access token, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s runs on fresh servers (after ${WARMUP_S} s warm-up), each paired with its no-auth server; Node ${process.version}${PIN ? `, servers pinned to CPU ${PIN.server}, load on CPU ${PIN.load}` : ', unpinned'}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
)
console.log(
  `${pad('framework', 10)}${pad('variant', 28)}${pad('req/s', 8, true)}${pad('p99 ms', 8, true)}${pad('÷ no-auth req/s [range]', 25, true)}${pad('CPU µs/req [range]', 24, true)}${pad('Δ CPU µs vs no-auth', 24, true)}${pad('of CPU: kernel', 16, true)}${pad('server busy', 20, true)}`,
)
for (const r of rows) {
  const warn = r.bad > 0 ? `  (${r.bad} non-2xx/errors!)` : ''
  console.log(
    `${pad(r.framework, 10)}${pad(labelOf(r.framework, r.kind), 28)}${pad(Math.round(r.rps), 8, true)}${pad(r.p99, 8, true)}${pad(range(r.ratio, 2), 25, true)}${pad(range(r.cpu, 1), 24, true)}${pad(range(r.cpuDelta, 1), 24, true)}${pad(median(r.system).toFixed(1), 16, true)}${pad(range(r.busy, 2), 20, true)}${warn}`,
  )
}
console.log(
  `\n÷ no-auth: this variant's req/s ÷ its no-auth server's in the same pair, median [min–max] over rounds. CPU µs/req: the server's CPU time (user + system) per request. Δ CPU: per-pair difference to no-auth. Of CPU, kernel: the system-time part of CPU µs/req (median), mostly sending the responses over loopback; compare it across rows: it is larger the slower the server, so it swells the Δ of every slow variant, whatever that variant does. Server busy: the server's CPU time ÷ the run's wall time; under ~0.95 the load generator, not the server, set the pace, and that run's CPU per request carries idle wake-ups.`,
)
console.log(
  `In-process, in a fresh process on the servers' CPU, median [min–max] over rounds: one Keygate verification of the same token (warm keys, no cache; what bench:verify measures) ${range(
    yardsticks.map((y) => y.verify),
    1,
  )} µs CPU; the bare node:crypto check of it ${range(
    yardsticks.map((y) => y.crypto),
    1,
  )} µs.`,
)

// The goals of issue 17, checked on this run's medians.
const rowOf = (framework, kind) => rows.find((r) => r.framework === framework && r.kind === kind)
const med = (values) => (values.length ? median(values) : Number.NaN)
// Each Keygate row is compared with the peers of its kind: without a token cache, with the
// peers that have none; with Keygate's token cache, with a peer's own (@fastify/jwt's).
const PEERS = {
  keygate: {
    express: ['express-jwt'],
    fastify: ['@fastify/jwt', 'fastify-jwt-jwks'],
    hono: ['hono/jwk'],
  },
  'keygate-cache': { fastify: ['@fastify/jwt-cache'] },
}
const goals = []
for (const framework of ['express', 'fastify', 'hono']) {
  const noop = rowOf(framework, 'noop')
  if (!noop) continue
  const noopDelta = med(noop.cpuDelta)
  for (const kind of ['keygate-cache', 'keygate-withauth-cache']) {
    const r = rowOf(framework, kind)
    if (!r) continue
    const ratio = med(r.ratio)
    const beyond = med(r.cpuDelta) - noopDelta
    goals.push(
      `${framework} ${labelOf(framework, kind)}: ${ratio.toFixed(2)}× no-auth req/s (goal ≥ 0.90), ${beyond.toFixed(1)} µs CPU beyond the no-op middleware (goal ≤ 3.0): ${ratio >= 0.9 || beyond <= 3 ? 'MET' : 'NOT MET'}`,
    )
  }
  const r = rowOf(framework, 'keygate')
  if (!r) continue
  const delta = med(r.cpuDelta)
  goals.push(
    `${framework} Keygate, no cache: Δ ${delta.toFixed(1)} µs CPU (goal ≤ 1.5 × ${verifyMicros.toFixed(1)} = ${(1.5 * verifyMicros).toFixed(1)}): ${delta <= 1.5 * verifyMicros ? 'MET' : 'NOT MET'}`,
  )
  for (const kind in PEERS) {
    const keygate = rowOf(framework, kind)
    const peers = (PEERS[kind][framework] ?? []).map((peer) => rowOf(framework, peer)).filter(Boolean)
    if (!keygate || peers.length === 0) continue
    const behind = peers.filter(
      (peer) => !(med(keygate.cpuDelta) < med(peer.cpuDelta) && med(keygate.ratio) > med(peer.ratio)),
    )
    goals.push(
      `${framework} ${labelOf(framework, kind)}, ahead of ${peers.map((peer) => labelOf(framework, peer.kind)).join(', ')} on CPU and req/s: ${behind.length === 0 ? 'MET' : `NOT MET (${behind.map((peer) => labelOf(framework, peer.kind)).join(', ')})`}`,
    )
  }
}
const floor = rowOf('node', 'crypto')
if (floor) {
  goals.push(
    `floor: the bare node:crypto check inside a server costs Δ ${med(floor.cpuDelta).toFixed(1)} µs CPU, ${(med(floor.cpuDelta) / cryptoMicros).toFixed(2)}× the same check in-process (${cryptoMicros.toFixed(1)} µs)`,
  )
  // What Keygate adds to that check: in a server (no framework) and in-process, side by side.
  const core = rowOf('node', 'keygate')
  if (core) {
    goals.push(
      `Keygate core beyond the bare check: ${(med(core.cpuDelta) - med(floor.cpuDelta)).toFixed(1)} µs CPU in a server (no framework), ${(verifyMicros - cryptoMicros).toFixed(1)} µs in-process`,
    )
  }
}
if (goals.length)
  console.log(`\nGoals (issue 17), on this run's medians\n${goals.map((g) => `  ${g}`).join('\n')}`)
console.log(
  `\nJWKS fetches: a ${BURST}-request burst (${BURST} connections) on a cold process; ${STORM} requests (${CONNECTIONS} connections) with one unknown kid, then with a random kid each, on a warm process\n`,
)
console.log(
  `${pad('framework', 10)}${pad('variant', 28)}${pad('burst', 7, true)}${pad('unknown kid', 13, true)}${pad('random kids', 13, true)}`,
)
for (const b of bursts) {
  const warn = [
    b.burstBad > 0 ? `${b.burstBad} burst requests failed` : '',
    b.unknownAccepted > 0 ? `${b.unknownAccepted} unknown-kid requests not refused` : '',
    b.randomAccepted > 0 ? `${b.randomAccepted} random-kid requests not refused` : '',
  ]
    .filter(Boolean)
    .join(', ')
  console.log(
    `${pad(b.framework, 10)}${pad(labelOf(b.framework, b.kind), 28)}${pad(b.burst, 7, true)}${pad(b.unknown, 13, true)}${pad(b.random, 13, true)}${warn ? `  (${warn}!)` : ''}`,
  )
}
