// POST /token throughput through issuer.handle — in process, client_credentials with an API key
// (HTTP Basic), memory store — next to, measured in the same run:
//   raw:         the fastest signing primitive, node:crypto sign() with a KeyObject, in a tight loop;
//   floor:       a handler that does no work but read the form and answer JSON — what any
//                handle(Request) → Response costs on Node's fetch classes before doing anything;
//   no refresh:  POST /token with refreshTokens: false (RFC 6749 §4.4.3's advice for this grant).
// Two ways of counting:
//   end to end:  the bench client builds each Request and reads each Response inside the timed
//                section (the original column);
//   handle only: Requests are built in batches outside the timed section — in a server, the
//                framework builds them — and only `await handle(request)` is timed; the issuer
//                still reads the body and builds the Response. Reading the Response body is left
//                out too (the framework writes it to the socket).
// Columns are measured in interleaved rounds (median reported), per wall-clock second and per
// CPU second (process.cpuUsage: robust when other processes share the machine, but it counts
// GC threads too). A last table splits one request into the fetch classes' costs, signing and
// what is left for the issuer's own work, in CPU µs.
// Run: pnpm bench:issuer (builds @keygate/core first); about a minute.
import crypto from 'node:crypto'
import os from 'node:os'
import { createIssuer, createMemoryIssuerStore } from '../packages/core/dist/index.js'

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256']
const ROUNDS = 3
const SLICE_MS = 700
// Enough requests in flight to keep libuv's thread pool busy (RS256 signs there).
const CONCURRENCY = 32
// Requests pre-built per timed batch in the handle-only columns: small enough not to balloon
// the heap, large enough that the untimed building is a minor share of the run.
const BATCH = 500
const TARGET = 0.5
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

/**
 * Like `measure`, but `build()` makes a batch of inputs outside the timed section; only
 * `once(input)` runs on the clock (wall and CPU time are summed over the timed parts only).
 */
async function measureBatches(ms, concurrency, build, once) {
  let n = 0
  let wallMs = 0
  let cpuUs = 0
  while (wallMs < ms) {
    const batch = Array.from({ length: BATCH }, build)
    let next = 0
    const cpu0 = process.cpuUsage()
    const start = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batch.length) await once(batch[next++])
      }),
    )
    wallMs += performance.now() - start
    const cpu = process.cpuUsage(cpu0)
    cpuUs += cpu.user + cpu.system
    n += batch.length
  }
  return { wall: n / (wallMs / 1000), cpu: n / (cpuUs / 1e6) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Reads a body the way the issuer does (a reader, chunk by chunk): the fetch classes' share of it. */
async function readBody(incoming) {
  const reader = incoming.body.getReader()
  for (;;) if ((await reader.read()).done) return
}

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
  call.build = () => request(headers)
  // Handle only: the Request comes pre-built, the Response body is not read.
  call.handleOnly = async (incoming) => {
    const response = await issuer.handle(incoming)
    if (response.status !== 200) throw new Error(`unexpected status ${response.status}`)
  }
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
  const { build } = viaIssuer
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
  await measureBatches(400, CONCURRENCY, build, viaIssuer.handleOnly)
  await measureBatches(200, CONCURRENCY, build, floor)
  const rounds = {
    raw: [],
    floor: [],
    issuer: [],
    noRefresh: [],
    floorHandle: [],
    issuerHandle: [],
    noRefreshHandle: [],
  }
  for (let round = 0; round < ROUNDS; round++) {
    rounds.raw.push(await measure(SLICE_MS, 1, raw, 20))
    rounds.floor.push(await measure(SLICE_MS, CONCURRENCY, viaFloor))
    rounds.issuer.push(await measure(SLICE_MS, CONCURRENCY, viaIssuer))
    rounds.noRefresh.push(await measure(SLICE_MS, CONCURRENCY, viaIssuerNoRefresh))
    rounds.floorHandle.push(await measureBatches(SLICE_MS, CONCURRENCY, build, floor))
    rounds.issuerHandle.push(await measureBatches(SLICE_MS, CONCURRENCY, build, viaIssuer.handleOnly))
    rounds.noRefreshHandle.push(
      await measureBatches(SLICE_MS, CONCURRENCY, viaIssuerNoRefresh.build, viaIssuerNoRefresh.handleOnly),
    )
  }
  const pick = (list, field) => median(list.map((r) => r[field]))
  const result = Object.fromEntries(
    Object.entries(rounds).map(([name, list]) => [
      name,
      { wall: pick(list, 'wall'), cpu: pick(list, 'cpu') },
    ]),
  )

  // Where one request's time goes, each piece timed alone (CPU µs per operation: robust under load).
  const responseBody = JSON.stringify({
    access_token: `${signingInput}.${'s'.repeat(86)}`,
    token_type: 'Bearer',
    expires_in: 900,
    scope: 'read write',
    refresh_token: 'r'.repeat(70),
  })
  const newResponse = () =>
    new Response(responseBody, {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
    })
  const us = (rate) => 1e6 / rate.cpu
  const pieces = { request: [], readBody: [], response: [], readResponse: [] }
  for (let round = 0; round < ROUNDS; round++) {
    pieces.request.push(us(await measure(200, 1, () => Promise.resolve(build()))))
    pieces.readBody.push(us(await measureBatches(200, CONCURRENCY, build, readBody)))
    pieces.response.push(us(await measure(200, 1, () => Promise.resolve(newResponse()))))
    pieces.readResponse.push(us(await measureBatches(200, CONCURRENCY, newResponse, (r) => r.json())))
  }
  result.pieces = Object.fromEntries(Object.entries(pieces).map(([name, list]) => [name, median(list)]))
  return result
}

const loadAtStart = os.loadavg()[0]
const rows = []
for (const algorithm of ALGORITHMS) rows.push({ algorithm, ...(await benchAlgorithm(algorithm)) })

const n = (v) => Math.round(v).toLocaleString('en-US').padStart(7)
const x = (v) => `${v.toFixed(2)}×`.padStart(6)
const f = (v) => v.toFixed(1).padStart(6)
console.log(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAtStart.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}, ${CONCURRENCY} requests in flight`,
)
for (const [unit, field] of [
  ['per wall-clock second', 'wall'],
  ['per CPU second (process.cpuUsage)', 'cpu'],
]) {
  console.log('')
  console.log(`${unit} — end to end (the client builds each Request and reads each Response)`)
  console.log('alg    | raw sign |   floor | POST /token | vs raw | vs floor | no refresh | vs raw')
  console.log('-------|----------|---------|-------------|--------|----------|------------|-------')
  for (const r of rows) {
    const [raw, floor, issuer, bare] = [r.raw[field], r.floor[field], r.issuer[field], r.noRefresh[field]]
    console.log(
      `${r.algorithm.padEnd(6)} |  ${n(raw)} | ${n(floor)} |     ${n(issuer)} | ${x(issuer / raw)} |   ${x(issuer / floor)} |    ${n(bare)} | ${x(bare / raw)}`,
    )
  }
  console.log('')
  console.log(
    `${unit} — handle only (Requests pre-built outside the timed section, Response bodies not read)`,
  )
  console.log('alg    | raw sign |   floor | POST /token | vs raw | vs floor | no refresh | vs raw')
  console.log('-------|----------|---------|-------------|--------|----------|------------|-------')
  for (const r of rows) {
    const [raw, floor, issuer, bare] = [
      r.raw[field],
      r.floorHandle[field],
      r.issuerHandle[field],
      r.noRefreshHandle[field],
    ]
    console.log(
      `${r.algorithm.padEnd(6)} |  ${n(raw)} | ${n(floor)} |     ${n(issuer)} | ${x(issuer / raw)} |   ${x(issuer / floor)} |    ${n(bare)} | ${x(bare / raw)}`,
    )
  }
}

console.log('')
console.log(
  'where one POST /token goes, CPU µs (pieces timed alone; issuer logic = handle only − read body − new Response − sign)',
)
console.log(
  'alg    | new Request | read body | new Response | client .json() |  sign | handle only | issuer logic',
)
console.log(
  '-------|-------------|-----------|--------------|----------------|-------|-------------|-------------',
)
for (const r of rows) {
  const p = r.pieces
  const sign = 1e6 / r.raw.cpu
  const handle = 1e6 / r.issuerHandle.cpu
  console.log(
    `${r.algorithm.padEnd(6)} |      ${f(p.request)} |    ${f(p.readBody)} |       ${f(p.response)} |         ${f(p.readResponse)} | ${f(sign)} |      ${f(handle)} |       ${f(handle - p.readBody - p.response - sign)}`,
  )
}
console.log(
  '(RS256 signs on the thread pool; its CPU counts in handle only, but the pool also overlaps it with other work.)',
)
console.log(
  'best ratio to raw signing for an issuer whose own logic cost nothing (sign + the fetch classes only):',
)
for (const r of rows) {
  const p = r.pieces
  const sign = 1e6 / r.raw.cpu
  const handleOnly = sign / (sign + p.readBody + p.response)
  const endToEnd = sign / (sign + p.request + p.readBody + p.response + p.readResponse)
  console.log(
    `  ${r.algorithm.padEnd(6)} handle only ≤ ${handleOnly.toFixed(2)}×, end to end ≤ ${endToEnd.toFixed(2)}×`,
  )
}

console.log('')
const verdict = (ratio) => `${ratio.toFixed(2)}× ${ratio >= TARGET ? 'met' : 'not met'}`
console.log(
  `target: POST /token ≥ ${TARGET} × raw signing (per wall-clock second; per CPU second in brackets)`,
)
for (const r of rows) {
  const ratio = (column, field) => r[column][field] / r.raw[field]
  console.log(
    `  ${r.algorithm.padEnd(6)} end to end: ${verdict(ratio('issuer', 'wall'))} (${verdict(ratio('issuer', 'cpu'))}); handle only: ${verdict(ratio('issuerHandle', 'wall'))} (${verdict(ratio('issuerHandle', 'cpu'))})`,
  )
}
console.log(
  'floor = a handle() that only reads the form and answers JSON; no refresh = the issuer with refreshTokens: false.',
)
