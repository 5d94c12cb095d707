// POST /token throughput through issuer.handle — in process, client_credentials with an API key
// (HTTP Basic), memory store, refresh tokens on (the default) — next to, in the same run:
//   raw:   the fastest signing primitive, node:crypto sign() with a KeyObject, in a tight loop;
//   floor: a handler that does no work at all but read the form and answer JSON — what any
//          handle(Request) → Response costs on Node's fetch classes before doing anything.
// Each column is measured in interleaved rounds (the median is reported), in requests per
// wall-clock second and per CPU second (process.cpuUsage: robust when other processes share
// the machine). Run: pnpm bench:issuer (builds @keygate/core first); about 30 s.
import crypto from 'node:crypto'
import os from 'node:os'
import { createIssuer, createMemoryIssuerStore } from '../packages/core/dist/index.js'

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256']
const ROUNDS = 3
const SLICE_MS = 700
// Enough requests in flight to keep libuv's thread pool busy (ES256/RS256 sign there).
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

async function benchAlgorithm(algorithm) {
  const issuer = createIssuer({
    issuer: 'https://auth.bench',
    audience: 'https://api.bench',
    store: createMemoryIssuerStore(),
    encryptionKey: crypto.randomBytes(32),
    signing: { algorithm },
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
  const request = () =>
    new Request('https://auth.bench/token', {
      method: 'POST',
      headers,
      body: 'grant_type=client_credentials',
    })
  let signingInput = ''
  const viaIssuer = async () => {
    const response = await issuer.handle(request())
    if (response.status !== 200) throw new Error(`unexpected status ${response.status}`)
    const body = await response.json()
    if (!signingInput) signingInput = body.access_token.slice(0, body.access_token.lastIndexOf('.'))
  }
  const noop = async (incoming) => {
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
    const response = await noop(request())
    await response.json()
  }
  const { key: nodeKey, digest } = NODE_KEYS[algorithm]()
  const raw = () => {
    const data = Buffer.from(signingInput)
    // 20 synchronous signatures per call keep the loop's own cost out of the figure.
    for (let i = 0; i < 20; i++) crypto.sign(digest, data, nodeKey)
    return Promise.resolve()
  }

  await measure(500, CONCURRENCY, viaIssuer)
  await measure(200, CONCURRENCY, viaFloor)
  await measure(200, 1, raw, 20)
  const rounds = { raw: [], floor: [], issuer: [] }
  for (let round = 0; round < ROUNDS; round++) {
    rounds.raw.push(await measure(SLICE_MS, 1, raw, 20))
    rounds.floor.push(await measure(SLICE_MS, CONCURRENCY, viaFloor))
    rounds.issuer.push(await measure(2 * SLICE_MS, CONCURRENCY, viaIssuer))
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
console.log('')
console.log('         per wall-clock second                             | per CPU second')
console.log(
  'alg    |  raw sign |   floor | POST /token | vs raw | vs floor |  raw sign |   floor | POST /token | vs raw',
)
console.log(
  '-------|-----------|---------|-------------|--------|----------|-----------|---------|-------------|-------',
)
for (const r of rows) {
  console.log(
    `${r.algorithm.padEnd(6)} |   ${n(r.raw.wall)} | ${n(r.floor.wall)} |     ${n(r.issuer.wall)} | ${x(r.issuer.wall / r.raw.wall)} |   ${x(r.issuer.wall / r.floor.wall)} |   ${n(r.raw.cpu)} | ${n(r.floor.cpu)} |     ${n(r.issuer.cpu)} | ${x(r.issuer.cpu / r.raw.cpu)}`,
  )
}
console.log('')
console.log(
  'target: POST /token ≥ 0.5 × raw signing. floor = a handle() that only reads the form and answers JSON.',
)
