/**
 * `pnpm bench:client`: what `@keygate/client` costs and saves.
 *
 * 1. Overhead: `client.fetch` with a warm token against plain `fetch` with the same
 *    `Authorization` header, to a local API server in a child process (so this process's CPU time
 *    is the caller's side only). Each round times both, in alternating order, over the same number
 *    of requests at the same concurrency. Reported per round and as a range: the ratio of
 *    wall-clock time and the ratio of this process's CPU time (which other processes' load on a
 *    shared machine distorts less).
 * 2. A burst at expiry: 1000 concurrent `client.fetch` calls right after the token expired
 *    (the client's monotonic clock is moved forward), `/token` requests counted at the issuer —
 *    next to a per-caller refresher as JWThenticator's Python client is (each caller that sees an
 *    expired token refreshes, with no coordination), on the same issuer.
 */
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import { createClient } from '../packages/client/dist/index.js'
import { sendIssuerResponse, toIssuerRequest } from '../packages/core/dist/http/index.js'
import { createIssuer, createMemoryIssuerStore } from '../packages/core/dist/index.js'

const ROUNDS = 15
const REQUESTS = 800
const CONCURRENCY = 8
const BURST = 1000

function listen(handler) {
  return new Promise((resolve) => {
    const server = createServer(handler).listen(0, '127.0.0.1', () => {
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` })
    })
  })
}

async function run(send) {
  let next = 0
  const worker = async () => {
    while (next < REQUESTS) {
      next += 1
      const res = await send()
      if (res.status !== 200) throw new Error(`unexpected ${res.status}`)
      await res.arrayBuffer()
    }
  }
  const cpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { wall, cpu: (used.user + used.system) / 1000 }
}

const range = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main() {
  let hits = 0
  let issuer
  const auth = await listen(async (req, res) => {
    if (new URL(req.url, 'http://x').pathname === '/token') hits += 1
    sendIssuerResponse(res, await issuer.respond(toIssuerRequest(req)))
  })
  issuer = createIssuer({
    issuer: auth.url,
    audience: 'https://orders.internal',
    store: createMemoryIssuerStore(),
    encryptionKey: 'bench-client-encryption-key-0123456789abcdef',
  })
  const { key } = await issuer.apiKeys.create({
    subject: 'bench',
    name: 'bench',
    permissions: ['orders:read'],
  })

  const child = fork(new URL(import.meta.url).pathname, ['api'], { stdio: 'inherit' })
  const port = await new Promise((resolve) => child.once('message', resolve))
  const apiUrl = `http://127.0.0.1:${port}`
  const target = `${apiUrl}/orders`

  let monotonic = 0
  const client = createClient({ issuer: auth.url, key, origins: [apiUrl], now: () => monotonic })
  const token = await client.getToken()
  const headers = { authorization: `Bearer ${token}` }
  const plain = () => fetch(target, { headers })
  const wrapped = () => client.fetch(target)

  console.log(
    `Node ${process.version}; ${ROUNDS} rounds × ${REQUESTS} GETs at concurrency ${CONCURRENCY}, API in a child process.`,
  )
  console.log('The machine is shared and was loaded by other work: read the ratios, not absolute rates.\n')
  // Warm both paths (connections, JIT) before the first timed round.
  await run(plain)
  await run(wrapped)
  const wallRatios = []
  const cpuRatios = []
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['plain', 'client'] : ['client', 'plain']
    const result = {}
    for (const name of order) result[name] = await run(name === 'plain' ? plain : wrapped)
    const wallRatio = result.client.wall / result.plain.wall
    const cpuRatio = result.client.cpu / result.plain.cpu
    wallRatios.push(wallRatio)
    cpuRatios.push(cpuRatio)
    console.log(
      `round ${round + 1}: plain ${((REQUESTS / result.plain.wall) * 1000).toFixed(0)} req/s, client ${((REQUESTS / result.client.wall) * 1000).toFixed(0)} req/s; client/plain wall ×${wallRatio.toFixed(2)}, CPU ×${cpuRatio.toFixed(2)}`,
    )
  }
  console.log(
    `\nclient.fetch / fetch (warm token): wall ×${median(wallRatios).toFixed(2)} median (range ${range(wallRatios)}), caller CPU ×${median(cpuRatios).toFixed(2)} median (range ${range(cpuRatios)})`,
  )

  // The burst at expiry.
  monotonic += 16 * 60_000 // past the 15-minute token
  const before = hits
  const statuses = await Promise.all(
    Array.from({ length: BURST }, () => client.fetch(target).then((r) => r.status)),
  )
  if (statuses.some((s) => s !== 200)) throw new Error('a burst call failed')
  const clientRefreshes = hits - before

  // A per-caller refresher: every caller that finds the token expired refreshes it itself.
  const first = await (
    await fetch(`${auth.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }),
    })
  ).json()
  const shared = { accessToken: first.access_token, refreshToken: first.refresh_token, expired: true }
  const perCaller = async () => {
    if (shared.expired) {
      const res = await fetch(`${auth.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: shared.refreshToken,
          client_secret: key,
        }),
      })
      const body = await res.json()
      if (res.status === 200) shared.accessToken = body.access_token
    }
    return fetch(target, { headers: { authorization: `Bearer ${shared.accessToken}` } }).then((r) => r.status)
  }
  const beforePerCaller = hits
  await Promise.all(Array.from({ length: BURST }, perCaller))
  const perCallerRefreshes = hits - beforePerCaller

  console.log(
    `\n${BURST} concurrent calls at expiry: @keygate/client → ${clientRefreshes} refresh (single-flight); per-caller refresher (JWThenticator's Python Client) → ${perCallerRefreshes} refreshes`,
  )

  client.close()
  child.kill()
  auth.server.close()
}

if (process.argv[2] === 'api') {
  // The API: answers 200 when a bearer token is present. Verification would cost the same for
  // both contenders; leaving it out makes the client's own cost a larger, clearer share.
  const server = createServer((req, res) => {
    res.writeHead(req.headers.authorization?.startsWith('Bearer ') ? 200 : 401, {
      'content-type': 'text/plain',
    })
    res.end('ok')
  })
  server.listen(0, '127.0.0.1', () => process.send(server.address().port))
} else {
  await main()
}
