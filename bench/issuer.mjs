// POST /token throughput through issuer.handle (in process, client_credentials, memory store)
// next to the raw signing rate of each algorithm, measured in the same run.
// Run: pnpm bench:issuer   (builds @keygate/core first). Takes about 30 s.
import crypto from 'node:crypto'
import { promisify } from 'node:util'
import { createIssuer, createMemoryIssuerStore } from '../packages/core/dist/index.js'

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256']
const HANDLE_MS = Number(process.env.BENCH_HANDLE_MS ?? 3000)
const RAW_MS = Number(process.env.BENCH_RAW_MS ?? 1500)
// Enough requests in flight to keep libuv's thread pool busy while the event loop parses.
const CONCURRENCY = 32
const signAsync = promisify(crypto.sign)

const NODE_KEYS = {
  EdDSA: () => ({ key: crypto.generateKeyPairSync('ed25519').privateKey, digest: null }),
  ES256: () => ({
    key: { key: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, dsaEncoding: 'ieee-p1363' },
    digest: 'sha256',
  }),
  RS256: () => ({ key: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, digest: 'sha256' }),
}

async function rate(ms, concurrency, once) {
  const end = performance.now() + ms
  let n = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await once()
        n += 1
      }
    }),
  )
  return n / (ms / 1000)
}

async function rawSigning(algorithm, signingInput) {
  const { key, digest } = NODE_KEYS[algorithm]()
  const data = Buffer.from(signingInput)
  for (let i = 0; i < 200; i++) crypto.sign(digest, data, key)
  const syncRate = await rate(RAW_MS, 1, () => {
    // 50 synchronous signatures per tick keep the loop overhead out of the figure.
    for (let i = 0; i < 50; i++) crypto.sign(digest, data, key)
    return Promise.resolve()
  })
  const asyncRate = await rate(RAW_MS, CONCURRENCY, () => signAsync(digest, data, key))
  return { sync: syncRate * 50, async: asyncRate }
}

async function handleRate(algorithm) {
  const issuer = createIssuer({
    issuer: 'https://auth.bench',
    audience: 'https://api.bench',
    store: createMemoryIssuerStore(),
    encryptionKey: crypto.randomBytes(32),
    signing: { algorithm },
  })
  const { id, key } = await issuer.apiKeys.create({ subject: 'svc-bench', name: 'bench', permissions: ['read', 'write'] })
  const authorization = `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`
  let sample
  const once = async () => {
    const response = await issuer.handle(
      new Request('https://auth.bench/token', {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),
    )
    if (response.status !== 200) throw new Error(`unexpected status ${response.status}`)
    sample = await response.json()
  }
  await rate(300, CONCURRENCY, once)
  const perSecond = await rate(HANDLE_MS, CONCURRENCY, once)
  return { perSecond, signingInput: sample.access_token.split('.').slice(0, 2).join('.') }
}

const rows = []
for (const algorithm of ALGORITHMS) {
  const handled = await handleRate(algorithm)
  const raw = await rawSigning(algorithm, handled.signingInput)
  rows.push({ algorithm, ...raw, handle: handled.perSecond })
}

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(9)
console.log(`node ${process.version}, ${crypto.getCiphers ? '' : ''}${(await import('node:os')).cpus().length} CPUs, concurrency ${CONCURRENCY}`)
console.log('alg     | raw sign sync/s | raw sign async/s | POST /token req/s | vs sync | vs best raw')
console.log('--------|-----------------|------------------|-------------------|---------|------------')
for (const r of rows) {
  const best = Math.max(r.sync, r.async)
  console.log(
    `${r.algorithm.padEnd(7)} | ${fmt(r.sync)}       | ${fmt(r.async)}        | ${fmt(r.handle)}         | ${(r.handle / r.sync).toFixed(2)}×   | ${(r.handle / best).toFixed(2)}×`,
  )
}
console.log('target: POST /token ≥ 0.5 × raw signing')
