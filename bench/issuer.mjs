// POST /token throughput (client_credentials with an API key over HTTP Basic, memory store, a
// refresh token issued with each access token) next to the raw signing rate of each algorithm,
// all measured in the same run, in interleaved rounds (median reported):
//   raw sign:    the fastest signing primitive, node:crypto sign() with a KeyObject, in a tight loop;
//   respond:     issuer.respond(toIssuerRequest(req)) — the path of Express's and Fastify's
//                mountIssuer and of plain node:http servers: `req` is a real http.IncomingMessage
//                holding the form body (pre-built in batches outside the timed section, as the
//                server builds it), the answer is plain data for one res.end();
//   no refresh:  the same with refreshTokens: false (RFC 6749 §4.4.3's advice for this grant);
//   handle:      issuer.handle(Request) → Response, the fetch-style path (Hono, Next.js, workers),
//                with Requests pre-built outside the timed section — the runtime builds them — and
//                Response bodies not read (the runtime writes them);
//   handle e2e:  the bench client also builds each Request and reads each Response on the clock.
// Rates are per wall-clock second and per CPU second (process.cpuUsage: robust when other
// processes share the machine, but it counts GC threads too). A last table prices the fetch
// classes Node 20 builds around handle(), which respond() does without.
// Each algorithm is measured in its own process, each column on its own issuer and store.
// Run: pnpm bench:issuer (builds @keygate/core first); about a minute.
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { toIssuerRequest } from '../packages/core/dist/http/index.js'
import { benchIssuer, FORM_BODY, rawSigningKey } from './token-issuer.mjs'

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256']
const ROUNDS = 3
const SLICE_MS = 700
// Enough requests in flight to keep libuv's thread pool busy (RS256 signs there).
const CONCURRENCY = 32
// Requests pre-built per timed batch (respond, handle): small enough not to balloon the heap,
// large enough that the untimed building is a minor share of the run.
const BATCH = 500
const TARGET = 0.5
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' }

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

/** Reads a body the way the issuer does (whole, its length being declared): the fetch classes' share of it. */
async function readBody(incoming) {
  await incoming.arrayBuffer()
}

// As a server hands it over: a client's form POST declares its length.
const request = (headers) =>
  new Request('https://auth.bench/token', {
    method: 'POST',
    headers: { ...headers, 'content-length': String(FORM_BODY.length) },
    body: FORM_BODY,
  })

/** What Node's http server hands a handler: an IncomingMessage with its body queued. */
const socket = new Socket()
function nodeRequest(headers) {
  const incoming = new IncomingMessage(socket)
  incoming.method = 'POST'
  incoming.url = '/token'
  incoming.headers = { ...headers, 'content-length': String(FORM_BODY.length), host: 'auth.bench' }
  incoming.push(Buffer.from(FORM_BODY))
  incoming.push(null)
  return incoming
}

/** POST /token callers on a fresh issuer; remembers one signing input for the raw column. */
async function tokenCallers(algorithm, refreshTokens) {
  const { issuer, basic } = await benchIssuer(algorithm, { refreshTokens })
  const headers = { ...FORM_HEADERS, authorization: `Basic ${basic}` }
  const check = (status) => {
    if (status !== 200) throw new Error(`unexpected status ${status}`)
  }
  const callers = {
    signingInput: '',
    build: () => request(headers),
    buildNode: () => nodeRequest(headers),
    // The Node servers' path: what mountIssuer does per request, minus the socket.
    async respond(incoming) {
      const response = await issuer.respond(toIssuerRequest(incoming, { clientAddress: '127.0.0.1' }))
      check(response.status)
    },
    // Fetch-style: the Request comes pre-built, the Response body is not read.
    async handle(incoming) {
      check((await issuer.handle(incoming)).status)
    },
    async handleEndToEnd() {
      const response = await issuer.handle(request(headers))
      check(response.status)
      const body = await response.json()
      if (refreshTokens && !body.refresh_token) throw new Error('expected a refresh token')
      callers.signingInput ||= body.access_token.slice(0, body.access_token.lastIndexOf('.'))
    },
  }
  return callers
}

async function benchAlgorithm(algorithm) {
  // One issuer (and memory store) per column: each store keeps every refresh token it issues,
  // and a column should not pay for the garbage-collector work of another's.
  const full = await tokenCallers(algorithm, true)
  const noRefresh = await tokenCallers(algorithm, false)
  const fetchStyle = await tokenCallers(algorithm, true)
  const fetchEndToEnd = await tokenCallers(algorithm, true)
  await fetchEndToEnd.handleEndToEnd()
  full.signingInput = fetchEndToEnd.signingInput
  const { key: nodeKey, digest } = rawSigningKey(algorithm)
  const data = Buffer.from(full.signingInput)
  const raw = () => {
    // 20 synchronous signatures per call keep the loop's own cost out of the figure.
    for (let i = 0; i < 20; i++) crypto.sign(digest, data, nodeKey)
    return Promise.resolve()
  }

  // Warm-up long enough for the JIT to settle (the first algorithm measured would pay for it).
  await measureBatches(1000, CONCURRENCY, full.buildNode, full.respond)
  await measureBatches(400, CONCURRENCY, noRefresh.buildNode, noRefresh.respond)
  await measure(400, CONCURRENCY, fetchEndToEnd.handleEndToEnd)
  await measureBatches(400, CONCURRENCY, fetchStyle.build, fetchStyle.handle)
  await measure(200, 1, raw, 20)
  const rounds = { raw: [], respond: [], noRefresh: [], handle: [], handleEndToEnd: [] }
  for (let round = 0; round < ROUNDS; round++) {
    rounds.raw.push(await measure(SLICE_MS, 1, raw, 20))
    rounds.respond.push(await measureBatches(SLICE_MS, CONCURRENCY, full.buildNode, full.respond))
    rounds.noRefresh.push(await measureBatches(SLICE_MS, CONCURRENCY, noRefresh.buildNode, noRefresh.respond))
    rounds.handle.push(await measureBatches(SLICE_MS, CONCURRENCY, fetchStyle.build, fetchStyle.handle))
    rounds.handleEndToEnd.push(await measure(SLICE_MS, CONCURRENCY, fetchEndToEnd.handleEndToEnd))
  }
  const pick = (list, field) => median(list.map((r) => r[field]))
  const result = Object.fromEntries(
    Object.entries(rounds).map(([name, list]) => [
      name,
      { wall: pick(list, 'wall'), cpu: pick(list, 'cpu') },
    ]),
  )

  // The fetch classes' share of handle(), each piece timed alone (CPU µs per operation).
  const responseBody = JSON.stringify({
    access_token: `${full.signingInput}.${'s'.repeat(86)}`,
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
  const pieces = { request: [], readBody: [], response: [] }
  for (let round = 0; round < ROUNDS; round++) {
    pieces.request.push(us(await measure(200, 1, () => Promise.resolve(full.build()))))
    pieces.readBody.push(us(await measureBatches(200, CONCURRENCY, full.build, readBody)))
    pieces.response.push(us(await measure(200, 1, () => Promise.resolve(newResponse()))))
  }
  result.pieces = Object.fromEntries(Object.entries(pieces).map(([name, list]) => [name, median(list)]))
  return result
}

// Each algorithm runs in a fresh process (`--child <alg>` prints its results as JSON): none
// inherits another's heap, JIT state or garbage.
if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await benchAlgorithm(process.argv[3])))
  process.exit(0)
}
const runChild = (algorithm) =>
  new Promise((resolve, reject) => {
    execFile(process.execPath, [fileURLToPath(import.meta.url), '--child', algorithm], (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout)),
    )
  })

const loadAtStart = os.loadavg()[0]
const rows = []
for (const algorithm of ALGORITHMS) rows.push({ algorithm, ...(await runChild(algorithm)) })

const n = (v) => Math.round(v).toLocaleString('en-US').padStart(7)
const x = (v) => `${v.toFixed(2)}×`.padStart(6)
const f = (v) => v.toFixed(1).padStart(6)
console.log(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAtStart.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}, ${CONCURRENCY} requests in flight`,
)
const COLUMNS = ['respond', 'noRefresh', 'handle', 'handleEndToEnd']
for (const [unit, field] of [
  ['per wall-clock second', 'wall'],
  ['per CPU second (process.cpuUsage)', 'cpu'],
]) {
  console.log('')
  console.log(`POST /token ${unit}; × = ratio to raw signing in the same run`)
  console.log(
    'alg    | raw sign |  respond |  vs raw | no refresh |  vs raw |   handle |  vs raw | handle e2e |  vs raw',
  )
  console.log(
    '-------|----------|----------|---------|------------|---------|----------|---------|------------|--------',
  )
  for (const r of rows) {
    const raw = r.raw[field]
    const cells = COLUMNS.map(
      (c) =>
        `${c === 'noRefresh' || c === 'handleEndToEnd' ? '   ' : ''}${n(r[c][field])} |  ${x(r[c][field] / raw)}`,
    )
    console.log(`${r.algorithm.padEnd(6)} |  ${n(raw)} |  ${cells.join(' |  ')}`)
  }
}

console.log('')
console.log('the fetch classes around one handle(), CPU µs, each timed alone (respond() builds none of them)')
console.log('alg    | new Request | read its body | new Response |  sign | respond | handle')
console.log('-------|-------------|---------------|--------------|-------|---------|-------')
for (const r of rows) {
  const p = r.pieces
  console.log(
    `${r.algorithm.padEnd(6)} |      ${f(p.request)} |        ${f(p.readBody)} |       ${f(p.response)} | ${f(1e6 / r.raw.cpu)} |  ${f(1e6 / r.respond.cpu)} | ${f(1e6 / r.handle.cpu)}`,
  )
}
console.log('(RS256 signs on the thread pool: its signing overlaps other work, so its ratios can pass 1.)')

console.log('')
const verdict = (ratio) => `${ratio.toFixed(2)}× ${ratio >= TARGET ? 'met' : 'not met'}`
console.log(
  `target: POST /token ≥ ${TARGET} × raw signing (per wall-clock second; per CPU second in brackets)`,
)
for (const r of rows) {
  const ratio = (column, field) => r[column][field] / r.raw[field]
  console.log(
    `  ${r.algorithm.padEnd(6)} respond: ${verdict(ratio('respond', 'wall'))} (${verdict(ratio('respond', 'cpu'))}); handle: ${verdict(ratio('handle', 'wall'))} (${verdict(ratio('handle', 'cpu'))})`,
  )
}
