/**
 * Faults of a real JWKS endpoint on 127.0.0.1 (issue 10, "Faults"): 500s, 503 with Retry-After,
 * garbage, a huge body, connection resets, a slow drip and a hang, each for a long stretch of
 * injected-clock time. Tokens whose key is cached keep verifying within max-stale, fetch
 * attempts stay bounded by the backoff, then 503 with Retry-After — never 401 for an outage,
 * never a crash — and the negative cache stays bounded under random kids. Real waits are only
 * the fetch timeout (100 ms) per attempt.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, type KeysUnavailableError } from '../../src/errors.js'
import { createRemoteJWKS, type RemoteJWKS } from '../../src/jwks/remote.js'
import type { JWK } from '../../src/types.js'
import { createAuth } from '../../src/verify/create-auth.js'

type Mode = 'ok' | '500' | '503' | 'garbage' | 'huge' | 'reset' | 'drip' | 'hang'

const T0 = Date.UTC(2026, 5, 1)
const SECOND = 1000
const MINUTE = 60 * SECOND
const AUDIENCE = 'https://api.faults'
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const JWK_ES = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'es', alg: 'ES256', use: 'sig' } as JWK

let server: Server
let base = ''
let mode: Mode = 'ok'
let requests = 0
/** Requests the server holds open (hang, drip) right now. */
const held = new Set<ServerResponse>()
const sockets = new Set<Socket>()

function handler(_req: IncomingMessage, res: ServerResponse): void {
  requests += 1
  switch (mode) {
    case 'ok':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [JWK_ES] }))
      return
    case '500':
      res.writeHead(500).end('internal error')
      return
    case '503':
      res.writeHead(503, { 'retry-after': '120' }).end('maintenance')
      return
    case 'garbage':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Bad gateway</body></html>')
      return
    case 'huge':
      // 2 MB of a valid-looking document: over the 512 KiB limit, cut off while streaming.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"keys":[],"padding":"')
      res.end(`${'x'.repeat(2 * 1024 * 1024)}"}`)
      return
    case 'reset':
      res.socket?.destroy()
      return
    case 'drip': {
      // Headers at once, then one byte every 20 ms: never a complete body within the timeout.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{')
      held.add(res)
      const timer = setInterval(() => res.write(' '), 20)
      res.on('close', () => {
        clearInterval(timer)
        held.delete(res)
      })
      return
    }
    case 'hang':
      held.add(res)
      res.on('close', () => held.delete(res))
      return
  }
}

beforeAll(async () => {
  server = createServer(handler)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

function token(kid: string, now: number): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${b64({ alg: 'ES256', kid })}.${b64({
    iss: base,
    aud: AUDIENCE,
    sub: 'svc',
    iat: now / 1000,
    exp: now / 1000 + 24 * 3600,
  })}`
  const signature = sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

async function outcome(promise: Promise<unknown>): Promise<'ok' | AuthError> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (!AuthError.is(error)) throw error
    return error
  }
}

function setup(options: { timeout?: number } = {}) {
  const time = { now: T0 }
  const source: RemoteJWKS = createRemoteJWKS({
    jwksUri: `${base}/jwks`,
    clock: () => time.now,
    maxAge: '1m',
    maxStale: '10m',
    timeout: options.timeout ?? 100,
    maxUnknownKids: 50,
  })
  const auth = createAuth({
    issuer: base,
    audience: AUDIENCE,
    source,
    algorithms: ['ES256'],
    clock: () => time.now,
  })
  return { time, source, auth }
}

/** Loads the keys while the endpoint works; the first connection on a loaded machine may miss the 100 ms timeout. */
async function warm(source: RemoteJWKS, time: { now: number }): Promise<void> {
  mode = 'ok'
  for (let attempt = 0; ; attempt++) {
    try {
      await source.reload()
      return
    } catch (error) {
      if (attempt === 5) throw error
      time.now += 10 * SECOND
    }
  }
}

describe('a failing JWKS endpoint over a long stretch', () => {
  it.each<Mode>(['500', '503', 'garbage', 'huge', 'reset', 'drip', 'hang'])(
    '%s: cached keys verify through max-stale with bounded attempts, then 503 with Retry-After (never 401); memory bounded; recovery',
    async (fault) => {
      const { time, source, auth } = setup()
      await warm(source, time)
      const start = time.now
      const good = token('es', start)
      expect(await outcome(auth.verify(good))).toBe('ok')
      mode = fault
      const before = requests
      // 11 minutes of outage in 5 s steps: 1 min max age + 10 min max-stale.
      const deadline = start + MINUTE + 10 * MINUTE
      let verified = 0
      while (time.now + 5 * SECOND <= deadline) {
        time.now += 5 * SECOND
        expect(await outcome(auth.verify(good))).toBe('ok')
        verified += 1
        await source.idle()
      }
      expect(verified).toBe(132)
      const attempts = requests - before
      // Backoff from 1 s doubling (capped at 5 min) from the refresh-ahead point: about ten
      // attempts in eleven minutes, not one per request (132 requests).
      expect(attempts).toBeGreaterThanOrEqual(fault === '503' ? 2 : 4)
      expect(attempts).toBeLessThanOrEqual(12)

      // Random kids during the outage: 503s (a kid may have rotated meanwhile) or 401s, never
      // unbounded memory and never a fetch per kid.
      const flood = requests
      for (let i = 0; i < 200; i++) {
        const result = await outcome(auth.verify(token(randomUUID(), time.now)))
        expect(result).not.toBe('ok')
        expect(['ERR_KEYS_UNAVAILABLE', 'ERR_KEY_NOT_FOUND']).toContain((result as AuthError).code)
      }
      await source.idle()
      expect(requests - flood).toBeLessThanOrEqual(1)
      expect(source.unknownKids).toBeLessThanOrEqual(50)

      // Beyond max-stale: an outage is a 503 with Retry-After, for every request, with no fetch
      // while backing off.
      time.now = deadline + SECOND
      const first = await outcome(auth.verify(good))
      expect(first).not.toBe('ok')
      const error = first as KeysUnavailableError
      expect(error.code).toBe('ERR_KEYS_UNAVAILABLE')
      expect(error.status).toBe(503)
      expect(Number.isSafeInteger(error.retryAfter) && error.retryAfter >= 1).toBe(true)
      await source.idle()
      const during = requests
      for (let i = 0; i < 50; i++) expect(((await outcome(auth.verify(good))) as AuthError).status).toBe(503)
      expect(requests).toBe(during)

      // Recovery as soon as the backoff allows.
      mode = 'ok'
      time.now += error.retryAfter * SECOND
      expect(await outcome(auth.verify(good))).toBe('ok')
      auth.close()
      source.close()
    },
  )

  it('no added latency: with the endpoint hanging, cached keys answer while the refresh is still held', async () => {
    mode = 'ok'
    const { time, source, auth } = setup({ timeout: 30_000 })
    const good = token('es', T0)
    expect(await outcome(auth.verify(good))).toBe('ok')
    mode = 'hang'
    for (const step of [50 * SECOND, 2 * MINUTE, 5 * MINUTE]) {
      // Past the refresh-ahead point, then past expiry (stale): a refresh starts each time
      // one is not already in flight, and the verification does not wait for it.
      time.now = T0 + step
      expect(await outcome(auth.verify(good))).toBe('ok')
      while (held.size === 0) await new Promise((resolve) => setImmediate(resolve))
      expect(held.size).toBe(1)
    }
    // One request held open, shared by every refresh trigger (single-flight).
    expect(held.size).toBe(1)
    mode = 'ok'
    auth.close()
    source.close()
    await source.idle()
  })
})
