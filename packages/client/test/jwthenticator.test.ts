import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthenticationError, createClient } from '../src/index.js'
import { AUDIENCE, fakeClock, type Harness, listen, startHarness } from './harness.js'

const IDENTIFIER = '3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b'
const KEY = 'a-registered-jwthenticator-key'
const LEASE_SECONDS = 300

async function readJSON(req: import('node:http').IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

/**
 * A server answering as JWThenticator's Python server does (reference: its wire contract):
 * RS256 JWTs with `token_id`, `identifier`, `iat`, `exp`; `/refresh` answers `refresh_token: null`
 * and never rotates; refusals are 401 `{}`.
 */
async function startJWThenticator() {
  const { privateKey } = await generateKeyPair('RS256')
  const refreshTokens = new Set<string>()
  const issued = new Set<string>()
  const calls: string[] = []
  let keyValid = true
  const sign = () =>
    new SignJWT({ token_id: crypto.randomUUID(), identifier: IDENTIFIER })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k1' })
      .setIssuedAt()
      .setExpirationTime(`${LEASE_SECONDS}s`)
      .sign(privateKey)
  const server = await listen(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname
    calls.push(path)
    if (req.method !== 'POST') return send(405, {})
    const body = await readJSON(req)
    if (path === '/authenticate') {
      if (!keyValid || body.key !== KEY || body.identifier !== IDENTIFIER) return send(401, {})
      const jwt = await sign()
      issued.add(jwt)
      const refreshToken = crypto.randomUUID().replace(/-/g, '').repeat(4)
      refreshTokens.add(refreshToken)
      return send(200, { jwt, refresh_token: refreshToken })
    }
    if (path === '/refresh') {
      if (body.identifier !== IDENTIFIER || !refreshTokens.has(String(body.refresh_token)))
        return send(401, {})
      const jwt = await sign()
      issued.add(jwt)
      return send(200, { jwt, refresh_token: null })
    }
    return send(404, {})
  })
  const api = await listen((req, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '')
    res.writeHead(token !== undefined && issued.has(token) ? 200 : 401)
    res.end()
  })
  return {
    url: server.url,
    apiUrl: api.url,
    calls,
    revokeRefreshTokens: () => refreshTokens.clear(),
    revokeKey: () => {
      keyValid = false
    },
    close: () => Promise.all([server.close(), api.close()]),
  }
}

describe("protocol: 'jwthenticator' against a server answering as JWThenticator's Python server", () => {
  let server: Awaited<ReturnType<typeof startJWThenticator>>
  beforeAll(async () => {
    server = await startJWThenticator()
  })
  afterAll(async () => {
    await server.close()
  })

  function setup(wallClock?: () => number) {
    const clock = fakeClock()
    const client = createClient({
      protocol: 'jwthenticator',
      issuer: server.url,
      identifier: IDENTIFIER,
      key: KEY,
      origins: [server.apiUrl],
      now: clock.now,
      wallClock: wallClock ?? clock.wall,
      refreshMargin: '30s',
      refreshJitter: 0,
    })
    return { client, clock }
  }

  it('authenticates, refreshes from exp - iat on the monotonic clock, and keeps the unrotated refresh token', async () => {
    // A wall clock ten years off changes nothing: the lifetime is exp - iat, counted from receipt.
    const { client, clock } = setup(() => Date.now() - 10 * 365 * 86_400_000)
    const start = server.calls.length
    expect((await client.fetch(`${server.apiUrl}/x`)).status).toBe(200)
    expect(server.calls.slice(start)).toEqual(['/authenticate'])
    clock.advance((LEASE_SECONDS - 30) * 1000 - 1)
    expect((await client.fetch(`${server.apiUrl}/x`)).status).toBe(200)
    expect(server.calls.slice(start)).toEqual(['/authenticate'])
    for (let i = 0; i < 2; i++) {
      clock.advance(LEASE_SECONDS * 1000)
      expect((await client.fetch(`${server.apiUrl}/x`)).status).toBe(200)
    }
    // refresh_token: null never replaced the refresh token.
    expect(server.calls.slice(start)).toEqual(['/authenticate', '/refresh', '/refresh'])
  })

  it('falls back to /authenticate when /refresh refuses, and reports a refused key', async () => {
    const { client, clock } = setup()
    await client.getToken()
    server.revokeRefreshTokens()
    clock.advance(LEASE_SECONDS * 1000 + 1)
    const start = server.calls.length
    expect((await client.fetch(`${server.apiUrl}/x`)).status).toBe(200)
    expect(server.calls.slice(start)).toEqual(['/refresh', '/authenticate'])
    server.revokeKey()
    server.revokeRefreshTokens()
    clock.advance(LEASE_SECONDS * 1000 + 1)
    const error = await client.getToken().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect((error as AuthenticationError).status).toBe(401)
    expect((error as Error).message).not.toContain(KEY)
    expect(server.calls.slice(start)).toEqual(['/refresh', '/authenticate', '/refresh', '/authenticate'])
    // Backing off: no further request.
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_KEY_REJECTED' })
    expect(server.calls.length - start).toBe(4)
  })
})

describe("protocol: 'jwthenticator' against Keygate's compatible routes (createIssuer({ jwthenticator }))", () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      signing: { algorithm: 'RS256' },
      jwthenticator: { prefix: '/jwt', leaseTime: '5m', audience: [AUDIENCE] },
    })
  })
  afterAll(async () => {
    await h.close()
  })

  async function register(identifier: string, key: string) {
    const res = await fetch(`${h.issuerUrl}/jwt/register_key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, identifier }),
    })
    expect(res.status).toBe(201)
  }

  function setup(identifier: string, key: string) {
    const clock = fakeClock()
    const client = createClient({
      protocol: 'jwthenticator',
      issuer: `${h.issuerUrl}/jwt`,
      identifier,
      key,
      origins: [h.apiUrl],
      now: clock.now,
      wallClock: clock.wall,
      refreshJitter: 0,
    })
    return { client, clock }
  }

  const hits = (path: string) => h.hits.get(`/jwt${path}`) ?? 0

  it('authenticates, refreshes once for 100 concurrent calls at expiry, and the API verifies every token', async () => {
    const identifier = crypto.randomUUID()
    const key = `key-${crypto.randomUUID()}`
    await register(identifier, key)
    const { client, clock } = setup(identifier, key)
    const res = await client.fetch(`${h.apiUrl}/orders`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ subject: identifier })
    expect([hits('/authenticate'), hits('/refresh')]).toEqual([1, 0])
    clock.advance(5 * 60_000 + 1)
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () => client.fetch(`${h.apiUrl}/orders`).then((r) => r.status)),
    )
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect([hits('/authenticate'), hits('/refresh')]).toEqual([1, 1])
  })

  it('reports a revoked key as AuthenticationError after the refresh and the key are both refused', async () => {
    const identifier = crypto.randomUUID()
    const key = `key-${crypto.randomUUID()}`
    await register(identifier, key)
    const { client, clock } = setup(identifier, key)
    await client.getToken()
    const keys = await h.issuer().apiKeys.list({ subject: identifier })
    for (const record of keys) await h.issuer().apiKeys.revoke(record.id)
    clock.advance(5 * 60_000 + 1)
    const [authenticateBefore, refreshBefore] = [hits('/authenticate'), hits('/refresh')]
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_KEY_REJECTED', status: 401 })
    expect([hits('/authenticate') - authenticateBefore, hits('/refresh') - refreshBefore]).toEqual([1, 1])
  })
})
