/**
 * Every route of the server, as its callers drive them, against one backend (PGlite or
 * PostgreSQL): JWThenticator's Python client flow, the OAuth routes, operations, a restart on
 * the same database, and a log that never shows a credential.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer as createHTTPServer, request as httpRequest, type Server } from 'node:http'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_TOKEN,
  ENCRYPTION_SECRET,
  poll,
  productionEnv,
  type ServerProcess,
  startProcess,
} from './harness.js'

export type Database = { url: string; schema: string } | { dataDir: string }

// Short enough to see a JWT expire in the test, long enough to use it first.
const LEASE_TIME_S = 2
const JWT_AUDIENCE = 'svc-orders'

type JSONValue = Record<string, unknown>
interface Answer {
  status: number
  headers: Headers
  body: JSONValue
  text: string
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init)
  const text = await response.text()
  let body: JSONValue = {}
  try {
    body = text === '' ? {} : (JSON.parse(text) as JSONValue)
  } catch {
    body = {}
  }
  return { status: response.status, headers: response.headers, body, text }
}

const postJSON = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

/**
 * JWThenticator's Python `Client`, ported line for line in what it sends and how it reacts:
 * refresh when the JWT is missing or past `exp` (read without verifying), fall back to the key
 * when `/refresh` fails, drop a credential on a 401, refresh once more after a 401 from the target.
 */
class PythonClient {
  jwt: string | undefined
  refreshToken: string | undefined
  readonly calls: string[] = []
  constructor(
    readonly server: string,
    readonly identifier: string,
    public key: string | undefined,
  ) {}

  get isJWTExpired(): boolean {
    if (!this.jwt) return true
    const { exp } = decodeJwt(this.jwt)
    return exp === undefined || Date.now() / 1000 >= exp
  }

  async refresh(): Promise<void> {
    if (this.refreshToken === undefined) return this.authenticate()
    this.calls.push('refresh')
    const answer = await postJSON(`${this.server}/refresh`, {
      refresh_token: this.refreshToken,
      identifier: this.identifier,
    })
    if (answer.status !== 200) {
      if (answer.status === 401) this.refreshToken = undefined
      return this.authenticate()
    }
    expect(Object.keys(answer.body)).toEqual(['jwt'])
    this.jwt = answer.body.jwt as string
  }

  async authenticate(): Promise<void> {
    if (this.key === undefined) throw new Error('Missing key')
    this.calls.push('authenticate')
    const answer = await postJSON(`${this.server}/authenticate`, {
      key: this.key,
      identifier: this.identifier,
    })
    if (answer.status !== 200) {
      if (answer.status === 401) this.key = undefined
      throw new Error(`AuthenticationError ${answer.status}`)
    }
    expect(Object.keys(answer.body).sort()).toEqual(['jwt', 'refresh_token'])
    this.jwt = answer.body.jwt as string
    this.refreshToken = (answer.body.refresh_token as string | null) || this.refreshToken
  }

  async getWithAuth(url: string): Promise<number> {
    if (this.isJWTExpired) await this.refresh()
    let status = (await fetch(url, { headers: { authorization: `Bearer ${this.jwt}` } })).status
    if (status === 401) {
      this.jwt = undefined
      await this.refresh()
      status = (await fetch(url, { headers: { authorization: `Bearer ${this.jwt}` } })).status
    }
    return status
  }
}

/** A service protected the way JWThenticator's aiohttp `authenticate(server)` decorator does it. */
async function protectedService(jwthenticator: string): Promise<{ url: string; server: Server }> {
  const server = createHTTPServer(async (req, res) => {
    const header = req.headers.authorization ?? ''
    const jwt = header.startsWith('Bearer ') ? header.slice(7) : ''
    const answer = await postJSON(`${jwthenticator}/validate`, { jwt })
    res.statusCode = answer.status === 200 && answer.body.result === true ? 200 : 401
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return { url: `http://127.0.0.1:${address.port}/orders`, server }
}

/** Sends a POST whose body arrives only when `finish` is called: a request in flight. */
function slowRequest(
  url: string,
  body: string,
  headers: Record<string, string>,
): { finish(): void; answer: Promise<number> } {
  const target = new URL(url)
  let finish = () => {}
  const answer = new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    const half = Math.floor(body.length / 2)
    req.write(body.slice(0, half))
    req.flushHeaders()
    finish = () => req.end(body.slice(half))
  })
  return { finish: () => finish(), answer }
}

/** Registers the route tests for one backend. */
export function routeSuite(name: string, database: () => Database): void {
  describe(`keygate-server on ${name}`, () => {
    let server: ServerProcess
    let base: string
    let target: { url: string; server: Server }
    // Every credential the tests see, to check that none of them ever reaches the log.
    const secrets = new Set<string>([ADMIN_TOKEN, ENCRYPTION_SECRET])
    const stdout: string[] = []
    const env = () =>
      productionEnv({
        database: database(),
        extra: { JWT_LEASE_TIME: String(LEASE_TIME_S), JWT_AUDIENCE, KEYGATE_LOG_LEVEL: 'trace' },
      })
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    // What the restart must keep.
    const kept: {
      key?: string
      identifier?: string
      oauthRefresh?: string
      accessToken?: string
      apiKey?: string
    } = {}

    beforeAll(async () => {
      server = await startProcess(env())
      base = server.url
      target = await protectedService(base)
    })
    afterAll(async () => {
      target?.server.close()
      if (server) await server.stop()
    })

    it('answers /healthz and /readyz', async () => {
      expect(await call(`${base}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } })
      expect(await call(`${base}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } })
    })

    it("serves JWThenticator's always-on routes with its exact bodies", async () => {
      for (const path of ['/', '/health']) {
        const answer = await call(`${base}${path}`)
        expect(answer.status).toBe(200)
        expect(answer.body).toEqual({ result: true })
      }
      const jwks = await call(`${base}/jwks`)
      expect(jwks.status).toBe(200)
      expect(Object.keys(jwks.body)).toEqual(['keys'])
      const keys = jwks.body.keys as Array<Record<string, unknown>>
      expect(keys.some((k) => k.alg === 'RS256' && k.kty === 'RSA' && typeof k.kid === 'string')).toBe(true)
      expect(keys.every((k) => k.d === undefined)).toBe(true)
    })

    it('drives register → authenticate → call → expiry → refresh → fallback to the key like the Python client', async () => {
      const identifier = randomUUID()
      const key = `key-${randomBytes(16).toString('hex')}`
      secrets.add(key)
      // InternalClient.register_key: exactly 201 and {"result": true}; the admin credential is required in production.
      expect((await postJSON(`${base}/register_key`, { key, identifier })).status).toBe(401)
      const registered = await postJSON(`${base}/register_key`, { key, identifier }, admin)
      expect(registered).toMatchObject({ status: 201, body: { result: true } })
      expect(Object.keys(registered.body)).toEqual(['result'])
      expect(await postJSON(`${base}/is_key_registered`, { key }, admin)).toMatchObject({
        status: 200,
        body: { result: true },
      })
      expect(await postJSON(`${base}/is_key_registered`, { key: 'never-registered' }, admin)).toMatchObject({
        status: 200,
        body: { result: false },
      })

      const client = new PythonClient(base, identifier, key)
      expect(await client.getWithAuth(target.url)).toBe(200)
      expect(client.calls).toEqual(['authenticate'])
      secrets.add(client.jwt!).add(client.refreshToken!)
      const first = client.jwt!
      expect(decodeProtectedHeader(first)).toMatchObject({ alg: 'RS256', typ: 'JWT' })
      const claims = decodeJwt(first)
      expect(claims).toMatchObject({ identifier, aud: [JWT_AUDIENCE] })
      expect(typeof claims.token_id).toBe('string')
      expect(claims.exp! - claims.iat!).toBe(LEASE_TIME_S)

      // The client decides from `exp` alone; once past it, it refreshes (no new refresh token).
      await poll('the JWT to expire on the client', () => client.isJWTExpired, LEASE_TIME_S * 1000 + 2000)
      expect(await client.getWithAuth(target.url)).toBe(200)
      expect(client.calls).toEqual(['authenticate', 'refresh'])
      secrets.add(client.jwt!)
      expect(client.jwt).not.toBe(first)

      // Registering the key again renews it and ends its refresh tokens: /refresh answers 401 and
      // the client falls back to its key.
      expect((await postJSON(`${base}/register_key`, { key, identifier }, admin)).status).toBe(201)
      const stale = client.refreshToken!
      client.jwt = undefined
      expect(await client.getWithAuth(target.url)).toBe(200)
      expect(client.calls).toEqual(['authenticate', 'refresh', 'refresh', 'authenticate'])
      expect(client.refreshToken).not.toBe(stale)
      secrets.add(client.jwt!).add(client.refreshToken!)
      Object.assign(kept, { key, identifier })
    })

    it('answers the failures with the reference statuses and bodies', async () => {
      const identifier = randomUUID()
      const bad = async (path: string, body: unknown, headers: Record<string, string> = admin) =>
        call(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: body as string,
        })
      // Bad JSON → 400 {}; field errors → 400 {field: [messages]}.
      expect(await bad('/register_key', '{"key":')).toMatchObject({ status: 400, body: {} })
      const fields = await postJSON(`${base}/register_key`, { key: 'k' }, admin)
      expect(fields.status).toBe(400)
      expect(Object.keys(fields.body)).toEqual(['identifier'])
      expect(Array.isArray(fields.body.identifier)).toBe(true)
      expect((await postJSON(`${base}/authenticate`, { key: 'k', identifier: 'not-a-uuid' })).status).toBe(
        400,
      )
      // Unknown key, wrong identifier for a known key, unknown refresh token → 401 {}.
      expect(await postJSON(`${base}/authenticate`, { key: 'unknown', identifier })).toMatchObject({
        status: 401,
        text: '{}',
      })
      expect(await postJSON(`${base}/authenticate`, { key: kept.key, identifier })).toMatchObject({
        status: 401,
        text: '{}',
      })
      expect(await postJSON(`${base}/refresh`, { refresh_token: 'x'.repeat(128), identifier })).toMatchObject(
        { status: 401, text: '{}' },
      )
      expect(await postJSON(`${base}/validate`, { jwt: 'not.a.jwt' })).toMatchObject({
        status: 401,
        text: '{}',
      })
      // /validate_request: 200 {} / 401 {} / 403 {} and nothing else.
      const { jwt } = (await postJSON(`${base}/authenticate`, { key: kept.key, identifier: kept.identifier }))
        .body as {
        jwt: string
      }
      secrets.add(jwt)
      const validateRequest = (authorization?: string) =>
        call(`${base}/validate_request`, authorization === undefined ? {} : { headers: { authorization } })
      expect(await validateRequest(`Bearer ${jwt}`)).toMatchObject({ status: 200, text: '{}' })
      expect(await validateRequest('Bearer not.a.jwt')).toMatchObject({ status: 401, text: '{}' })
      expect(await validateRequest()).toMatchObject({ status: 403, text: '{}' })
      expect(await validateRequest(`Basic ${jwt}`)).toMatchObject({ status: 403, text: '{}' })
      expect(await postJSON(`${base}/validate`, { jwt })).toMatchObject({
        status: 200,
        body: { result: true },
      })
      // Keygate's own access tokens (typ at+jwt) are not JWThenticator tokens.
      expect((await call(`${base}/nothing-here`)).status).toBe(404)
    })

    it('serves the OAuth routes: admin-created API key, /token, refresh, JWKS, metadata, introspection, revocation, decision', async () => {
      const created = await postJSON(
        `${base}/admin/api-keys`,
        { subject: 'svc-billing', name: 'billing', permissions: ['orders:read'] },
        admin,
      )
      expect(created.status).toBe(201)
      const { id, key } = created.body as { id: string; key: string }
      secrets.add(key)
      const basic = `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`
      const tokenRequest = (body: string, authorization?: string) =>
        call(`${base}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(authorization ? { authorization } : {}),
          },
          body,
        })
      const issued = await tokenRequest('grant_type=client_credentials', basic)
      expect(issued.status).toBe(200)
      expect(issued.headers.get('cache-control')).toBe('no-store')
      const tokens = issued.body as { access_token: string; refresh_token: string; token_type: string }
      expect(tokens.token_type).toBe('Bearer')
      secrets.add(tokens.access_token).add(tokens.refresh_token)

      const metadata = await call(`${base}/.well-known/oauth-authorization-server`)
      expect(metadata.status).toBe(200)
      expect(metadata.body).toMatchObject({ issuer: 'http://127.0.0.1' })
      const jwks = await call(`${base}/.well-known/jwks.json`)
      expect(jwks.status).toBe(200)
      const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks.body as never), {
        issuer: 'http://127.0.0.1',
        audience: 'http://127.0.0.1',
      })
      expect(payload).toMatchObject({ sub: 'svc-billing', client_id: id })

      const refreshed = await tokenRequest(
        `grant_type=refresh_token&refresh_token=${encodeURIComponent(tokens.refresh_token)}`,
        basic,
      )
      expect(refreshed.status).toBe(200)
      const next = refreshed.body as { access_token: string; refresh_token: string }
      secrets.add(next.access_token).add(next.refresh_token)
      expect(
        (
          await tokenRequest(
            'grant_type=client_credentials',
            `Basic ${Buffer.from(`${id}:wrong`).toString('base64')}`,
          )
        ).status,
      ).toBe(401)

      const introspected = await call(`${base}/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...admin },
        body: `token=${encodeURIComponent(next.access_token)}`,
      })
      expect(introspected).toMatchObject({ status: 200, body: { active: true, sub: 'svc-billing' } })
      const decide = (permissions: string) =>
        call(`${base}/auth/decide?permissions=${permissions}`, {
          headers: { authorization: `Bearer ${next.access_token}` },
        })
      expect((await decide('orders:read')).status).toBe(200)
      expect((await decide('orders:write')).status).toBe(403)

      // Revoking the first refresh token (already rotated) revokes its family.
      const second = await tokenRequest(
        `grant_type=refresh_token&refresh_token=${encodeURIComponent(next.refresh_token)}`,
        basic,
      )
      expect(second.status).toBe(200)
      const third = second.body as { access_token: string; refresh_token: string }
      secrets.add(third.access_token).add(third.refresh_token)
      Object.assign(kept, {
        oauthRefresh: third.refresh_token,
        accessToken: third.access_token,
        apiKey: basic,
      })
      const other = await tokenRequest('grant_type=client_credentials', basic)
      const revokeMe = (other.body as { refresh_token: string }).refresh_token
      secrets.add(revokeMe).add((other.body as { access_token: string }).access_token)
      const revoked = await call(`${base}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: `token=${encodeURIComponent(revokeMe)}`,
      })
      expect(revoked.status).toBe(200)
      expect(
        (await tokenRequest(`grant_type=refresh_token&refresh_token=${encodeURIComponent(revokeMe)}`, basic))
          .status,
      ).toBe(400)
    })

    it('refuses an oversized body with a 400, not a crash', async () => {
      const answer = await postJSON(`${base}/authenticate`, {
        key: 'x'.repeat(70_000),
        identifier: randomUUID(),
      })
      expect(answer.status).toBe(400)
      expect((await call(`${base}/healthz`)).status).toBe(200)
    })

    it('finishes an in-flight request on SIGTERM, exits 0, and keeps keys, registered keys and refresh tokens across a restart', {
      timeout: 120_000,
    }, async () => {
      const jwksBefore = (await call(`${base}/.well-known/jwks.json`)).body
      const seen = server.stdout.length
      const inFlight = slowRequest(`${base}/is_key_registered`, JSON.stringify({ key: kept.key }), admin)
      // The server has the request's headers (the body is half sent) before it is told to stop.
      await poll('the request to reach the server', () =>
        server.stdout
          .slice(seen)
          .some((line) => line.includes('"incoming request"') && line.includes('/is_key_registered')),
      )
      const exit = server.stop('SIGTERM')
      await poll('the server to start shutting down', () =>
        server.stdout.some((l) => l.includes('shutting down')),
      )
      inFlight.finish()
      // It reads the store: answered before the store closes.
      expect(await inFlight.answer).toBe(200)
      expect(await exit).toBe(0)
      stdout.push(...server.stdout)

      server = await startProcess(env())
      base = server.url
      // Signing keys: a token signed before the restart verifies against the JWKS after it.
      const jwksAfter = (await call(`${base}/.well-known/jwks.json`)).body
      expect(jwksAfter).toEqual(jwksBefore)
      await jwtVerify(kept.accessToken!, createLocalJWKSet(jwksAfter as never), {
        issuer: 'http://127.0.0.1',
      })
      // Registered keys and API keys.
      expect(await postJSON(`${base}/is_key_registered`, { key: kept.key }, admin)).toMatchObject({
        body: { result: true },
      })
      const authenticated = await postJSON(`${base}/authenticate`, {
        key: kept.key,
        identifier: kept.identifier,
      })
      expect(authenticated.status).toBe(200)
      secrets.add(authenticated.body.jwt as string).add(authenticated.body.refresh_token as string)
      // Refresh tokens.
      const refreshed = await call(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: kept.apiKey! },
        body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(kept.oauthRefresh!)}`,
      })
      expect(refreshed.status).toBe(200)
      secrets.add(refreshed.body.access_token as string).add(refreshed.body.refresh_token as string)
      const jwt = await postJSON(`${base}/refresh`, {
        refresh_token: authenticated.body.refresh_token,
        identifier: kept.identifier,
      })
      expect(jwt.status).toBe(200)
      secrets.add(jwt.body.jwt as string)
    })

    it('rejects an expired JWT on /validate', async () => {
      const identifier = randomUUID()
      const key = `key-${randomBytes(16).toString('hex')}`
      secrets.add(key)
      expect((await postJSON(`${base}/register_key`, { key, identifier }, admin)).status).toBe(201)
      const { jwt } = (await postJSON(`${base}/authenticate`, { key, identifier })).body as { jwt: string }
      secrets.add(jwt)
      expect((await postJSON(`${base}/validate`, { jwt })).status).toBe(200)
      // The lease plus the few seconds of skew the validation allows between instances.
      await poll(
        'the JWT to be refused',
        async () => (await postJSON(`${base}/validate`, { jwt })).status === 401,
        15_000,
        250,
      )
    })

    it('logs JSON lines only, and never a key, token, refresh token or secret', () => {
      const lines = [...stdout, ...server.stdout]
      expect(lines.length).toBeGreaterThan(20)
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
      const log = lines.join('\n')
      expect(log).toContain('token_issued')
      for (const secret of secrets) expect(log.includes(secret), 'a credential reached the log').toBe(false)
      // Not a fragment of one either: the secret part of API keys and refresh tokens.
      for (const secret of secrets)
        if (secret.length > 40) expect(log.includes(secret.slice(-24))).toBe(false)
    })
  })
}
