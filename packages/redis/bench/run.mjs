/**
 * `pnpm bench:redis` (needs `REDIS_URL`): what `@keygate/redis` changes, measured in one run.
 *
 * 1. Cold start: 4 real Node processes start together and verify tokens against one JWKS
 *    endpoint on 127.0.0.1 (which answers after `JWKS_DELAY_MS`, like a remote IdP), with and
 *    without the Redis `KeyStore`. Reported per variant: upstream JWKS fetches per cold start,
 *    the slowest process's first verification, and the p99 of all verifications — median and
 *    range over the rounds, the variants interleaved round by round, a fresh key prefix each.
 * 2. The revocation check: verifications per CPU-second of this process with `revocation` (a
 *    Redis revocation list holding `REVOKED_ENTRIES` entries) and without, on the full path (no
 *    token cache) and on token-cache hits, as paired ratios (with / without) over the rounds.
 *    A second verifier without revocation, measured in the same rounds, gives the noise floor
 *    (without / without): a cost is measurable only when the first ratio falls outside it.
 *
 * The machine is shared and may be loaded: read the ratios and ranges, not absolute figures.
 */
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createAuth } from '@keygate/core'
import { createTestIssuer } from '@keygate/core/testing'
import { createRedisRevocationList } from '@keygate/redis'
import { createClient } from 'redis'

const REDIS_URL = process.env.REDIS_URL
if (!REDIS_URL) {
  console.error('bench:redis needs a Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379)')
  process.exit(1)
}

const PROCESSES = 4
const COLD_ROUNDS = 4
const VERIFICATIONS_PER_PROCESS = 2000
const JWKS_DELAY_MS = 50
const REVOCATION_ROUNDS = 9
const REVOKED_ENTRIES = 10_000
const FULL_ITERATIONS = 3000
const CACHED_ITERATIONS = 100_000
const WORKER = fileURLToPath(new URL('./cold-start-worker.mjs', import.meta.url))
const RUN = `keygate-bench:${process.pid}:`

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const range = (values, digits = 2) =>
  `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`

const client = createClient({ url: REDIS_URL })
client.on('error', () => {})
await client.connect()

const issuer = await createTestIssuer({ algorithms: ['ES256'] })
let jwksHits = 0
const jwksServer = createServer((_request, response) => {
  jwksHits++
  setTimeout(() => {
    response.setHeader('content-type', 'application/json')
    response.setHeader('cache-control', 'max-age=600')
    response.end(JSON.stringify(issuer.jwks()))
  }, JWKS_DELAY_MS)
})
await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
const jwksUri = `http://127.0.0.1:${jwksServer.address().port}/jwks.json`
const ISSUER = 'https://issuer.bench'
const AUDIENCE = 'https://api.bench'
const tokens = await Promise.all(
  Array.from({ length: 20 }, (_, i) =>
    issuer.sign(
      { iss: ISSUER, aud: AUDIENCE, sub: `user-${i}`, jti: `bench-${i}`, client_id: 'bench' },
      { expiresIn: 3600 },
    ),
  ),
)

function startWorker() {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  // Listened for from the start: a worker may exit before its last message is handled here.
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const ready = new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
  })
  return { child, ready, exited }
}

async function coldRound(withStore, round) {
  const prefix = `${RUN}cold:${round}:${withStore ? 'redis' : 'memory'}:`
  const workers = Array.from({ length: PROCESSES }, startWorker)
  await Promise.all(workers.map((worker) => worker.ready))
  const setup = {
    redisUrl: REDIS_URL,
    prefix,
    withStore,
    jwksUri,
    issuer: ISSUER,
    audience: AUDIENCE,
    tokens,
  }
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve) => {
          worker.child.once('message', resolve)
          worker.child.send({ setup })
        }),
    ),
  )
  jwksHits = 0
  // Every process is ready: they start verifying together, as after a deploy.
  const results = await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve) => {
          worker.child.once('message', resolve)
          worker.child.send({ go: VERIFICATIONS_PER_PROCESS })
        }),
    ),
  )
  await Promise.all(workers.map((worker) => worker.exited))
  const latencies = results.flatMap((result) => result.latencies)
  latencies.sort((a, b) => a - b)
  return {
    fetches: jwksHits,
    firstMs: Math.max(...results.map((result) => result.latencies[0])),
    p99Ms: latencies[Math.floor(latencies.length * 0.99)],
  }
}

console.log(
  `bench:redis — node ${process.version}, ${PROCESSES} processes, JWKS answers after ${JWKS_DELAY_MS} ms`,
)
console.log('The machine is shared and may be loaded: compare ratios and ranges, not absolute numbers.\n')

const cold = { memory: [], redis: [] }
for (let round = 0; round < COLD_ROUNDS; round++) {
  // Alternate which variant goes first, so drift in the machine's load favours neither.
  const order = round % 2 ? [true, false] : [false, true]
  for (const withStore of order) cold[withStore ? 'redis' : 'memory'].push(await coldRound(withStore, round))
}
console.log(
  `1. Cold start, ${PROCESSES} processes × ${VERIFICATIONS_PER_PROCESS} verifications, ${COLD_ROUNDS} rounds (median [min–max])`,
)
console.log('   store         JWKS fetches   slowest first verify (ms)   p99 verify (ms)')
for (const [name, rounds] of Object.entries(cold)) {
  console.log(
    `   ${name.padEnd(13)} ${range(
      rounds.map((r) => r.fetches),
      0,
    ).padEnd(14)} ${range(
      rounds.map((r) => r.firstMs),
      1,
    ).padEnd(27)} ${range(
      rounds.map((r) => r.p99Ms),
      3,
    )}`,
  )
}
const p99Ratios = cold.redis.map((r, i) => r.p99Ms / cold.memory[i].p99Ms)
console.log(`   p99 ratio redis / memory: ${range(p99Ratios)}\n`)

// 2. The revocation check's cost per request.
const revocation = await createRedisRevocationList({ client, prefix: `${RUN}revocation:` })
for (let i = 0; i < REVOKED_ENTRIES; i += 500) {
  await Promise.all(
    Array.from({ length: 500 }, (_, j) =>
      revocation.revoke({ kind: 'jti', value: `revoked-${i + j}`, ttl: '10m' }),
    ),
  )
}
await revocation.revoke({ kind: 'subject', value: 'someone-else', ttl: '10m' })
const keys = issuer.jwks()
const make = (withRevocation, tokenCache) =>
  createAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys,
    algorithms: ['ES256'],
    tokenCache: tokenCache ? { max: 1000 } : false,
    ...(withRevocation ? { revocation } : {}),
  })
const requests = tokens.map((token) => ({ headers: new Headers({ authorization: `Bearer ${token}` }) }))

async function measure(auth, iterations) {
  for (const request of requests) if (!(await auth.authenticate(request)).ok) throw new Error('token refused')
  const start = process.cpuUsage()
  for (let i = 0; i < iterations; i++) await auth.authenticate(requests[i % requests.length])
  const used = process.cpuUsage(start)
  return iterations / ((used.user + used.system) / 1e6)
}

const paths = [
  { name: 'full verification (no token cache)', cache: false, iterations: FULL_ITERATIONS },
  { name: 'token-cache hit', cache: true, iterations: CACHED_ITERATIONS },
]
console.log(
  `2. Revocation check (local copy of ${revocation.size} entries), ${REVOCATION_ROUNDS} rounds, ops per CPU-second`,
)
for (const path of paths) {
  const variants = {
    plain: make(false, path.cache),
    again: make(false, path.cache),
    checked: make(true, path.cache),
  }
  // Warm every variant to V8's steady state before timing.
  for (const auth of Object.values(variants)) await measure(auth, path.iterations)
  const ratios = []
  const noise = []
  const without = []
  const withIt = []
  for (let round = 0; round < REVOCATION_ROUNDS; round++) {
    // The order alternates, so neither variant always runs first (or right after a GC).
    const order = round % 2 ? ['checked', 'again', 'plain'] : ['plain', 'again', 'checked']
    const ops = {}
    for (const name of order) ops[name] = await measure(variants[name], path.iterations)
    without.push(ops.plain)
    withIt.push(ops.checked)
    ratios.push(ops.checked / ops.plain)
    noise.push(ops.again / ops.plain)
  }
  console.log(`   ${path.name}`)
  console.log(`     without revocation: ${range(without, 0)} ops/s`)
  console.log(`     with revocation:    ${range(withIt, 0)} ops/s`)
  console.log(`     ratio with / without:    ${range(ratios, 3)}`)
  console.log(`     ratio without / without: ${range(noise, 3)} (noise floor)`)
}

await revocation.close()
for await (const found of client.scanIterator({ MATCH: `${RUN}*`, COUNT: 1000 })) {
  if (found.length > 0) await client.del(found)
}
await client.close()
jwksServer.close()
await issuer.close()
