/**
 * `pnpm bench:verify`: ops/s of JWT verification per algorithm — the node:crypto floor (one
 * `crypto.verify` over the signing input with a prebuilt KeyObject), jose `jwtVerify`,
 * aws-jwt-verify, fast-jwt without and with its cache, and Keygate with warm keys and with its
 * token cache — as ratios to the floor, all in one run.
 *
 * Method: a fixed number of iterations per measurement, a warmup of every contender to its
 * steady state (`WARMUP_CALLS`) before the first round, the contenders interleaved round by
 * round, each measurement paired with a floor measurement taken right before it. Reported: the median wall-clock ops/s over the rounds, and the median of each
 * contender's paired ratios to the floor computed on CPU time (ops per CPU-second of this
 * process), which other processes' load on a shared machine does not distort. Every contender
 * must accept the token before it is timed.
 */
import crypto from 'node:crypto'
import { JwtVerifier } from 'aws-jwt-verify'
import { createVerifier } from 'fast-jwt'
import { jwtVerify, SignJWT } from 'jose'
import { createAuth } from '../packages/core/dist/index.js'

const ROUNDS = 7
const ISSUER = 'https://issuer.bench'
const AUDIENCE = 'https://api.bench'
// Iterations per measurement: about 50 ms at the floor on an idle 2-core machine — short, so
// that rounds interleave finely — and the whole run (7 contenders × 4 algorithms × the rounds)
// stays under a minute.
const ITERATIONS = { RS256: 1200, ES256: 800, EdDSA: 800, HS256: 8000 }
// Cached contenders are 10–100× faster: more iterations for a stable figure.
const CACHED_ITERATIONS = 30_000
// Calls each contender makes before it is timed. V8 optimises a path function by function: a
// verifier made of a few dozen small functions (parsing, checks, key lookup) reaches its steady
// state only after a few thousand calls — Keygate's RS256 path after about 4,000, costing 3× the
// steady cost per call until then, compile time included. With fewer, the first timed rounds
// measure the compiler rather than the verifier, and the median lands on one of them.
const WARMUP_CALLS = 5000

const now = Math.floor(Date.now() / 1000)
const CLAIMS = {
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-4f1c2a',
  iat: now,
  nbf: now,
  exp: now + 3600,
  jti: 'b7e0c2d4-1a6f-4b0e-9d2a-6c8f1e3a5b7d',
  scope: 'orders:read orders:write profile',
  client_id: 'bench-client',
}

async function material(alg) {
  const kid = `bench-${alg.toLowerCase()}`
  if (alg === 'HS256') {
    const secret = crypto.randomBytes(32)
    const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret)
    return { alg, kid, token, secret, key: crypto.createSecretKey(secret) }
  }
  const { publicKey, privateKey } =
    alg === 'RS256'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : crypto.generateKeyPairSync('ed25519')
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }
  const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(privateKey)
  return { alg, kid, token, jwk, key: publicKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) }
}

function floorOf(m) {
  const dot = m.token.lastIndexOf('.')
  const input = Buffer.from(m.token.slice(0, dot), 'latin1')
  const signature = Buffer.from(m.token.slice(dot + 1), 'base64url')
  if (m.alg === 'HS256') {
    return () => crypto.timingSafeEqual(crypto.createHmac('sha256', m.key).update(input).digest(), signature)
  }
  const hash = m.alg === 'EdDSA' ? null : 'sha256'
  const key = m.alg === 'ES256' ? { key: m.key, dsaEncoding: 'ieee-p1363' } : m.key
  return () => crypto.verify(hash, input, key, signature)
}

async function contenders(m) {
  const list = []
  const add = (name, fn, { async = false, cached = false } = {}) => list.push({ name, fn, async, cached })
  add('node:crypto floor', floorOf(m))
  const joseOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [m.alg] }
  add('jose jwtVerify(KeyObject)', () => jwtVerify(m.token, m.key, joseOptions), { async: true })
  if (m.alg === 'HS256') {
    add('aws-jwt-verify', null)
  } else {
    // A local JWKS cached up front: no fetch ever happens (the URI is a placeholder).
    const aws = JwtVerifier.create({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: 'http://127.0.0.1:9/jwks.json',
    })
    aws.cacheJwks({ keys: [m.jwk] })
    add('aws-jwt-verify verifySync', () => aws.verifySync(m.token))
  }
  const fastOptions = {
    key: m.alg === 'HS256' ? m.secret : m.pem,
    algorithms: [m.alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
  }
  const fast = createVerifier(fastOptions)
  add('fast-jwt', () => fast(m.token))
  const fastCached = createVerifier({ ...fastOptions, cache: 1000 })
  add('fast-jwt (cache)', () => fastCached(m.token), { cached: true })
  const keys = m.alg === 'HS256' ? { secret: m.secret } : { keys: { keys: [m.jwk] } }
  const base = { issuer: ISSUER, audience: AUDIENCE, algorithms: [m.alg], ...keys }
  const auth = createAuth(base)
  add('Keygate auth.verify (warm)', () => auth.verify(m.token), { async: true })
  const cachedAuth = createAuth({ ...base, tokenCache: { max: 1000 } })
  add('Keygate auth.verify (token cache)', () => cachedAuth.verify(m.token), { async: true, cached: true })
  // Correctness gate: every contender accepts the token before it is timed.
  for (const c of list) if (c.fn) await c.fn()
  return list
}

// Wall-clock ops/s, and ops per CPU-second of this process (all its threads: libuv's pool for
// jose's WebCrypto, the GC's helpers). On a machine shared with other busy processes the
// second is the fairer basis for ratios: time spent waiting for a core is nobody's cost.
async function measure(c, iterations) {
  const { fn } = c
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  if (c.async) for (let i = 0; i < iterations; i++) await fn()
  else for (let i = 0; i < iterations; i++) fn()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  const cpuSeconds = (used.user + used.system) / 1e6
  return { wall: iterations / seconds, cpu: iterations / Math.max(cpuSeconds, 1e-6) }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const started = Date.now()
console.log(
  `Node ${process.version}, ${ROUNDS} rounds; ops/s: median wall-clock rate; × floor: median of paired ratios of CPU-time rates\n`,
)
const verdicts = []
for (const alg of ['RS256', 'ES256', 'EdDSA', 'HS256']) {
  const m = await material(alg)
  const list = await contenders(m)
  const floor = list[0]
  const samples = new Map(list.map((c) => [c.name, { ops: [], ratios: [] }]))
  const iterations = (c) => (c.cached ? CACHED_ITERATIONS : ITERATIONS[alg])
  for (const c of list) if (c.fn) await measure(c, Math.max(WARMUP_CALLS, iterations(c) >> 2)) // warmup
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of list.slice(1)) {
      if (!c.fn) continue
      // Each contender is paired with a floor measured right before it: load changes between
      // the two are rarer than between a contender and a floor taken seconds earlier.
      const floorOps = await measure(floor, iterations(floor))
      const ops = await measure(c, iterations(c))
      samples.get(floor.name).ops.push(floorOps.wall)
      samples.get(c.name).ops.push(ops.wall)
      samples.get(c.name).ratios.push(ops.cpu / floorOps.cpu)
    }
  }
  samples.get(floor.name).ratios.push(1)
  const result = new Map(
    [...samples].map(([name, s]) => [
      name,
      s.ops.length ? { ops: median(s.ops), ratio: median(s.ratios) } : undefined,
    ]),
  )
  console.log(`${alg}`)
  console.log(`  ${'contender'.padEnd(36)}${'ops/s'.padStart(12)}${'× floor'.padStart(10)}`)
  for (const [name, r] of result) {
    if (r === undefined) {
      console.log(
        `  ${name.padEnd(36)}${'—'.padStart(12)}${''.padStart(10)}  (skipped: aws-jwt-verify has no HMAC)`,
      )
      continue
    }
    console.log(
      `  ${name.padEnd(36)}${Math.round(r.ops).toLocaleString('en-US').padStart(12)}${r.ratio.toFixed(2).padStart(10)}`,
    )
  }
  console.log()
  const warm = result.get('Keygate auth.verify (warm)').ratio
  const cacheRatio =
    result.get('Keygate auth.verify (token cache)').ratio / result.get('fast-jwt (cache)').ratio
  if (alg !== 'HS256')
    verdicts.push(
      `${alg}: Keygate warm ${warm.toFixed(2)}× floor (target ≥ 0.80) ${warm >= 0.8 ? 'OK' : 'MISSED'}`,
    )
  verdicts.push(
    `${alg}: Keygate token cache ${cacheRatio.toFixed(2)}× fast-jwt cache (target ≥ 1.00) ${cacheRatio >= 1 ? 'OK' : 'MISSED'}`,
  )
}
console.log('Targets')
for (const line of verdicts) console.log(`  ${line}`)
console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`)
