// POST /token throughput through issuer.handle — in process, client_credentials with an API key
// (HTTP Basic), memory store — next to, measured in the same run:
//   raw:        the fastest signing primitive, node:crypto sign() with a KeyObject, in a tight loop;
//   floor:      a handler that does no work but read the form and answer JSON — what any
//               handle(Request) → Response costs on Node's fetch classes before doing anything;
//   no refresh: POST /token with refreshTokens: false (RFC 6749 §4.4.3's advice for this grant).
// Columns are measured in interleaved rounds (median reported), per wall-clock second and per
// CPU second (process.cpuUsage: robust when other processes share the machine).
// Run: pnpm bench:issuer (builds @keygate/core first); about 35 s.
import crypto from 'node:crypto'
import os from 'node:os'
import { createIssuer, createMemoryIssuerStore } from '../packages/core/dist/index.js'

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256']
const ROUNDS = 3
const SLICE_MS = 700
// Enough requests in flight to keep libuv's thread pool busy (RS256 signs there).
const CONCURRENCY = 32
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' }

const NODE_KEYS = {
  EdDSA: () => ({ key: crypto.generateKeyPairSync('ed25519').privateKey, digest: null }),
  ES256: () => ({
    key: {
      key: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      dsaEncoding: 'ieee-p1363',
    },
    digest: 'sha256',
  }),
  RS256: () => ({
    key: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    digest: 'sha256',
  }),
}

/** Runs `once` for `ms` with `concurrency` loops; returns ops per wall second and per CPU second. */
async function measure(ms, concurrency, once, opsPerCall = 1) {
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  const end = start + ms
  let n = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await once()
        n += opsPerCall
      }
    }),
  )
  const wall = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { wall: n / wall, cpu: n / ((cpu.user + cpu.system) / 1e6) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const request = (headers) =>
  new Request('https://auth.bench/token', { method: 'POST', headers, body: 'grant_type=client_credentials' })

/** A caller of POST /token on a fresh issuer; remembers one signing input for the raw column. */
async function tokenCaller(algorithm, refreshTokens) {
  const issuer = createIssuer({
    issuer: 'https://auth.bench',
    audience: 'https://api.bench',
    store: createMemoryIssuerStore(),
    encryptionKey: crypto.randomBytes(32),
    signing: { algorithm },
    refreshTokens,
  })
  const { id, key } = await issuer.apiKeys.create({
    subject: 'svc-bench',
    name: 'bench',
    permissions: ['read', 'write'],
  })
  const headers = {
    ...FORM_HEADERS,
    authorization: `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`,
  }
  const call = async () => {
    const response = await issuer.handle(request(headers))
    if (response.status !== 200) throw new Error(`unexpected status ${response.status}`)
    const body = await response.json()
    if (refreshTokens && !body.refresh_token) throw new Error('expected a refresh token')
    call.signingInput ||= body.access_token.slice(0, body.access_token.lastIndexOf('.'))
  }
  call.signingInput = ''
  call.headers = headers
  return call
}

async function benchAlgorithm(algorithm) {
  const viaIssuer = await tokenCaller(algorithm, true)
  const viaIssuerNoRefresh = await tokenCaller(algorithm, false)
  await viaIssuer()
  const { signingInput, headers } = viaIssuer
  const floor = async (incoming) => {
    const form = new URLSearchParams(await incoming.text())
    const body = JSON.stringify({
      access_token: signingInput,
      token_type: 'Bearer',
      grant: form.get('grant_type'),
    })
    return new Response(body, {
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
    })
  }
  const viaFloor = async () => {
    const response = await floor(request(headers))
    await response.json()
  }
  const { key: nodeKey, digest } = NODE_KEYS[algorithm]()
  const data = Buffer.from(signingInput)
  const raw = () => {
    // 20 synchronous signatures per call keep the loop's own cost out of the figure.
    for (let i = 0; i < 20; i++) crypto.sign(digest, data, nodeKey)
    return Promise.resolve()
  }

  // Warm-up long enough for the JIT to settle (the first algorithm measured would pay for it).
  await measure(1000, CONCURRENCY, viaIssuer)
  await measure(600, CONCURRENCY, viaIssuerNoRefresh)
  await measure(200, CONCURRENCY, viaFloor)
  await measure(200, 1, raw, 20)
  const rounds = { raw: [], floor: [], issuer: [], noRefresh: [] }
  for (let round = 0; round < ROUNDS; round++) {
    rounds.raw.push(await measure(SLICE_MS, 1, raw, 20))
    rounds.floor.push(await measure(SLICE_MS, CONCURRENCY, viaFloor))
    rounds.issuer.push(await measure(SLICE_MS, CONCURRENCY, viaIssuer))
    rounds.noRefresh.push(await measure(SLICE_MS, CONCURRENCY, viaIssuerNoRefresh))
  }
  const pick = (list, field) => median(list.map((r) => r[field]))
  return Object.fromEntries(
    Object.entries(rounds).map(([name, list]) => [
      name,
      { wall: pick(list, 'wall'), cpu: pick(list, 'cpu') },
    ]),
  )
}

const rows = []
for (const algorithm of ALGORITHMS) rows.push({ algorithm, ...(await benchAlgorithm(algorithm)) })

const n = (v) => Math.round(v).toLocaleString('en-US').padStart(7)
const x = (v) => `${v.toFixed(2)}×`.padStart(6)
console.log(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}, ${CONCURRENCY} requests in flight`,
)
for (const [unit, field] of [
  ['per wall-clock second', 'wall'],
  ['per CPU second (process.cpuUsage)', 'cpu'],
]) {
  console.log('')
  console.log(unit)
  console.log('alg    | raw sign |   floor | POST /token | vs raw | vs floor | no refresh | vs raw')
  console.log('-------|----------|---------|-------------|--------|----------|------------|-------')
  for (const r of rows) {
    const [raw, floor, issuer, bare] = [r.raw[field], r.floor[field], r.issuer[field], r.noRefresh[field]]
    console.log(
      `${r.algorithm.padEnd(6)} |  ${n(raw)} | ${n(floor)} |     ${n(issuer)} | ${x(issuer / raw)} |   ${x(issuer / floor)} |    ${n(bare)} | ${x(bare / raw)}`,
    )
  }
}
console.log('')
console.log(
  'target: POST /token ≥ 0.5 × raw signing. floor = a handle() that only reads the form and answers JSON;',
)
console.log('no refresh = the issuer with refreshTokens: false.')
