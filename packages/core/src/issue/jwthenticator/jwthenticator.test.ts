import { describe, expect, it } from 'vitest'
import { createAuth } from '../../verify/create-auth.js'
import { sha256 } from '../encoding.js'
import { createMemoryIssuerStore } from '../memory-store.js'
import {
  ADMIN_TOKEN,
  AUDIENCE,
  decodeJWT,
  ENCRYPTION_KEY,
  type Fixture,
  ISSUER,
  setup,
} from '../test-fixtures.js'
import type { IssuerOptions } from '../types.js'
import type { JWThenticatorOptions } from './options.js'

const IDENTIFIER = '6f1c3a52-8f0e-4c1b-9d7a-2b3c4d5e6f70'
const OTHER = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
const KEY = 'correct horse battery staple'
const INTERNAL_TOKEN = 'jwthenticator-internal-token-0123456789abcdef'

interface Answer {
  status: number
  headers: Headers
  body: unknown
}

function jwt(overrides: JWThenticatorOptions = {}, issuerOptions: Partial<IssuerOptions> = {}) {
  const fx = setup({ jwthenticator: overrides, ...issuerOptions })
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const init: RequestInit = { method, headers: { ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
    }
    const response = await fx.request(path, init)
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
    }
  }
  const post = (path: string, body: unknown, headers?: Record<string, string>) =>
    call('POST', path, body, headers)
  async function register(key = KEY, identifier = IDENTIFIER, headers?: Record<string, string>) {
    return post('/register_key', { key, identifier }, headers)
  }
  async function login(key = KEY, identifier = IDENTIFIER) {
    const answer = await post('/authenticate', { key, identifier })
    expect(answer.status).toBe(200)
    return answer.body as { jwt: string; refresh_token: string }
  }
  return { ...fx, call, post, register, login }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('JWThenticator routes through issuer.handle', () => {
  it('answers / and /health with {"result": true} and /jwks with the published keys', async () => {
    const fx = jwt()
    for (const path of ['/', '/health']) {
      expect(await fx.call('GET', path)).toMatchObject({ status: 200, body: { result: true } })
      expect((await fx.call('HEAD', path)).body).toBeUndefined()
    }
    const jwks = await fx.call('GET', '/jwks')
    expect(jwks.status).toBe(200)
    expect(jwks.body).toEqual(await fx.issuer.jwks())
    expect((jwks.body as { keys: unknown[] }).keys).toHaveLength(1)
  })

  it('runs the Python client flow: register, check, authenticate, validate, expire, refresh, fall back', async () => {
    const fx = jwt({ leaseTime: '10m', refreshTokenExpiry: '1h', keyExpiry: '1d' })
    expect(await fx.register()).toMatchObject({ status: 201, body: { result: true } })
    expect((await fx.register()).body).toEqual({ result: true })
    expect(await fx.post('/is_key_registered', { key: KEY })).toMatchObject({
      status: 200,
      body: { result: true },
    })
    expect((await fx.post('/is_key_registered', { key: 'another key' })).body).toEqual({ result: false })

    const authenticated = await fx.post('/authenticate', { key: KEY, identifier: IDENTIFIER })
    expect(authenticated.status).toBe(200)
    const tokens = authenticated.body as { jwt: string; refresh_token: string }
    expect(Object.keys(tokens).sort()).toEqual(['jwt', 'refresh_token'])
    expect(tokens.refresh_token).toMatch(/^kgj_/)

    const { header, payload } = decodeJWT(tokens.jwt)
    expect(header).toEqual({ alg: 'EdDSA', kid: (await fx.issuer.jwks()).keys[0]!.kid, typ: 'JWT' })
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'identifier', 'iss', 'jti', 'sub', 'token_id'])
    expect(payload).toMatchObject({
      identifier: IDENTIFIER,
      sub: IDENTIFIER,
      iss: ISSUER,
      jti: payload.token_id,
    })
    expect(payload.token_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(payload.exp).toBe((payload.iat as number) + 600)

    expect(await fx.post('/validate', { jwt: tokens.jwt })).toMatchObject({
      status: 200,
      body: { result: true },
    })
    expect(await fx.call('GET', '/validate_request', undefined, bearer(tokens.jwt))).toMatchObject({
      status: 200,
      body: {},
    })
    expect((await fx.call('GET', '/validate_request', undefined, bearer(tokens.jwt))).body).toEqual({})

    // The lease runs out (plus the 5 s tolerance): the JWT is refused, the refresh token still works.
    fx.clock.advance(600_000 + 6_000)
    expect(await fx.post('/validate', { jwt: tokens.jwt })).toEqual(
      expect.objectContaining({ status: 401, body: {} }),
    )
    expect((await fx.call('GET', '/validate_request', undefined, bearer(tokens.jwt))).status).toBe(401)

    const refreshed = await fx.post('/refresh', {
      refresh_token: tokens.refresh_token,
      identifier: IDENTIFIER,
    })
    expect(refreshed.status).toBe(200)
    expect(Object.keys(refreshed.body as object)).toEqual(['jwt'])
    const second = (refreshed.body as { jwt: string }).jwt
    expect((await fx.post('/validate', { jwt: second })).body).toEqual({ result: true })
    // No rotation: the same refresh token serves again.
    expect(
      (await fx.post('/refresh', { refresh_token: tokens.refresh_token, identifier: IDENTIFIER })).status,
    ).toBe(200)

    // The refresh token expires: 401 {}, and the client falls back to /authenticate.
    fx.clock.advance(3_600_000)
    expect(
      await fx.post('/refresh', { refresh_token: tokens.refresh_token, identifier: IDENTIFIER }),
    ).toEqual(expect.objectContaining({ status: 401, body: {} }))
    const again = await fx.login()
    expect((await fx.post('/validate', { jwt: again.jwt })).body).toEqual({ result: true })
  })

  it('puts aud (a list) in the JWT only when an audience is configured, and createAuth verifies it', async () => {
    const fx = jwt({ audience: ['svc-a', 'svc-b'] })
    await fx.register()
    const { jwt: token } = await fx.login()
    expect(decodeJWT(token).payload.aud).toEqual(['svc-a', 'svc-b'])
    const auth = createAuth({
      issuer: ISSUER,
      audience: 'svc-b',
      source: fx.issuer.keySource(),
      typ: 'JWT',
      clock: () => fx.clock.now,
    })
    const principal = await auth.verify(token)
    expect(principal.subject).toBe(IDENTIFIER)
    expect(principal.claims.identifier).toBe(IDENTIFIER)
    // Another audience does not verify, at the route either.
    await expect(
      createAuth({
        issuer: ISSUER,
        audience: 'svc-c',
        source: fx.issuer.keySource(),
        clock: () => fx.clock.now,
      }).verify(token),
    ).rejects.toMatchObject({ code: 'ERR_AUDIENCE_INVALID' })
    const single = jwt({ audience: 'only' })
    await single.register()
    expect(decodeJWT((await single.login()).jwt).payload.aud).toEqual(['only'])
  })

  it('answers 400 {} for unreadable JSON and marshmallow-style field errors', async () => {
    const fx = jwt()
    expect(await fx.post('/authenticate', '{not json')).toMatchObject({ status: 400, body: {} })
    expect((await fx.post('/authenticate', '')).body).toEqual({})
    expect(
      (await fx.post('/authenticate', 'key=x', { 'content-type': 'application/x-www-form-urlencoded' })).body,
    ).toEqual({})
    expect(await fx.post('/authenticate', {})).toEqual(
      expect.objectContaining({
        status: 400,
        body: { key: ['Missing data for required field.'], identifier: ['Missing data for required field.'] },
      }),
    )
    expect((await fx.post('/authenticate', { key: null, identifier: 'nope' })).body).toEqual({
      key: ['Field may not be null.'],
      identifier: ['Not a valid UUID.'],
    })
    expect((await fx.post('/register_key', { key: 5, identifier: IDENTIFIER, extra: 1 })).body).toEqual({
      key: ['Not a valid string.'],
      extra: ['Unknown field.'],
    })
    expect((await fx.post('/is_key_registered', { key: 'k'.repeat(1025) })).body).toEqual({
      key: ['Longer than maximum length 1024.'],
    })
    expect((await fx.post('/is_key_registered', { key: '' })).body).toEqual({
      key: ['Shorter than minimum length 1.'],
    })
    expect(await fx.post('/validate', [1, 2])).toMatchObject({
      status: 400,
      body: { _schema: ['Invalid input type.'] },
    })
    expect((await fx.post('/refresh', { identifier: IDENTIFIER })).body).toEqual({
      refresh_token: ['Missing data for required field.'],
    })
    // Oversized bodies are refused while reading.
    expect(await fx.post('/validate', { jwt: 'x'.repeat(20_000) })).toMatchObject({ status: 400, body: {} })
    // Wrong method: 405 {} with Allow.
    const wrong = await fx.call('GET', '/authenticate')
    expect(wrong).toMatchObject({ status: 405, body: {} })
    expect(wrong.headers.get('allow')).toBe('POST')
  })

  it('accepts the UUID spellings Python accepts and binds the canonical form', async () => {
    const fx = jwt()
    const upper = `{${IDENTIFIER.toUpperCase().replaceAll('-', '')}}`
    expect((await fx.register(KEY, upper)).status).toBe(201)
    const { jwt: token } = await fx.login(KEY, `urn:uuid:${IDENTIFIER}`)
    expect(decodeJWT(token).payload.identifier).toBe(IDENTIFIER)
  })

  it('refuses /authenticate with an identifier other than the one the key was registered with', async () => {
    const fx = jwt()
    await fx.register()
    expect(await fx.post('/authenticate', { key: KEY, identifier: OTHER })).toMatchObject({
      status: 401,
      body: {},
    })
    expect(fx.events).toContainEqual(
      expect.objectContaining({
        type: 'auth_failed',
        route: 'jwthenticator/authenticate',
        reason: 'identifier_mismatch',
      }),
    )
    expect((await fx.post('/authenticate', { key: 'wrong key', identifier: IDENTIFIER })).status).toBe(401)
  })

  it('binds the refresh token to its identifier', async () => {
    const fx = jwt()
    await fx.register()
    const { refresh_token } = await fx.login()
    expect(await fx.post('/refresh', { refresh_token, identifier: OTHER })).toMatchObject({
      status: 401,
      body: {},
    })
    expect((await fx.post('/refresh', { refresh_token, identifier: IDENTIFIER })).status).toBe(200)
  })

  it('ends refresh tokens with their key: revoked through apiKeys.revoke, or expired', async () => {
    const fx = jwt({ keyExpiry: '2h', refreshTokenExpiry: '1d' })
    await fx.register()
    const { refresh_token } = await fx.login()
    const [record] = await fx.issuer.apiKeys.list({ subject: IDENTIFIER })
    expect(record).toMatchObject({
      subject: IDENTIFIER,
      name: 'jwthenticator',
      metadata: { protocol: 'jwthenticator' },
    })
    expect(await fx.issuer.apiKeys.revoke(record!.id)).toBe(true)
    expect((await fx.post('/refresh', { refresh_token, identifier: IDENTIFIER })).status).toBe(401)
    expect((await fx.post('/authenticate', { key: KEY, identifier: IDENTIFIER })).status).toBe(401)
    expect((await fx.post('/is_key_registered', { key: KEY })).body).toEqual({ result: false })

    const other = jwt({ keyExpiry: '2h', refreshTokenExpiry: '1d' })
    await other.register()
    const tokens = await other.login()
    other.clock.advance(2 * 3_600_000)
    // The refresh token has most of a day left, but its key has expired.
    expect(
      (await other.post('/refresh', { refresh_token: tokens.refresh_token, identifier: IDENTIFIER })).status,
    ).toBe(401)
    expect((await other.post('/authenticate', { key: KEY, identifier: IDENTIFIER })).status).toBe(401)
    expect((await other.post('/is_key_registered', { key: KEY })).body).toEqual({ result: false })
  })

  it('stores caller-chosen keys only as keyed hashes: a database copy without encryptionKey is useless', async () => {
    const store = createMemoryIssuerStore()
    const fx = setup({ jwthenticator: {} }, store)
    const register = await fx.request('/register_key', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY, identifier: IDENTIFIER }),
    })
    expect(register.status).toBe(201)
    const records = await store.listAPIKeys()
    expect(records).toHaveLength(1)
    const dump = JSON.stringify(records)
    expect(dump).not.toContain(KEY)
    expect(dump).not.toContain(await sha256(KEY))
    expect(records[0]!.keyHash).toMatch(/^hmac:/)
    expect(records[0]!.id).toMatch(/^[0-9A-Za-z]{16}$/)
    // Another encryptionKey over the same rows neither finds nor accepts the key.
    const thief = setup({ jwthenticator: {}, encryptionKey: `${ENCRYPTION_KEY}-other` }, store)
    const answer = await thief.request('/is_key_registered', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY }),
    })
    expect(await answer.json()).toEqual({ result: false })
    // Keygate's own /token cannot use the record either: its hash is not a SHA-256 of any key.
    const forged = await fx.post('/token', { grant_type: 'client_credentials', client_secret: KEY })
    expect(forged.status).toBe(401)
  })

  it('keeps the two kinds of refresh tokens apart', async () => {
    const fx = jwt()
    await fx.register()
    const { refresh_token } = await fx.login()
    const viaToken = await fx.post('/token', { grant_type: 'refresh_token', refresh_token })
    expect(viaToken.status).toBe(400)
    const { refreshToken } = await fx.issuer.createToken({ subject: IDENTIFIER, refresh: true })
    const viaRefresh = await fx.post('/refresh', { refresh_token: refreshToken, identifier: IDENTIFIER })
    expect(viaRefresh).toMatchObject({ status: 401, body: {} })
    // And Keygate's access tokens are not JWThenticator JWTs.
    const { accessToken } = await fx.issuer.createToken({ subject: IDENTIFIER })
    expect((await fx.post('/validate', { jwt: accessToken })).status).toBe(401)
    expect((await fx.call('GET', '/validate_request', undefined, bearer(accessToken))).status).toBe(401)
  })

  it('renews a key registered again to its identifier, refuses another identifier while it lives', async () => {
    const fx = jwt({ keyExpiry: '1h' })
    await fx.register()
    const first = await fx.login()
    fx.clock.advance(50 * 60_000)
    expect((await fx.register()).status).toBe(201)
    // The renewal replaced the record: the old refresh token ended, the key works past its first expiry.
    expect(
      (await fx.post('/refresh', { refresh_token: first.refresh_token, identifier: IDENTIFIER })).status,
    ).toBe(401)
    fx.clock.advance(30 * 60_000)
    const second = await fx.login()
    expect(
      (await fx.post('/refresh', { refresh_token: second.refresh_token, identifier: IDENTIFIER })).status,
    ).toBe(200)

    expect(await fx.register(KEY, OTHER)).toMatchObject({
      status: 400,
      body: { identifier: ['Key is registered to another identifier.'] },
    })
    expect((await fx.post('/authenticate', { key: KEY, identifier: OTHER })).status).toBe(401)

    // Once it has expired, the same string may be registered to anyone.
    fx.clock.advance(2 * 3_600_000)
    expect((await fx.register(KEY, OTHER)).status).toBe(201)
    await fx.login(KEY, OTHER)
    expect((await fx.post('/authenticate', { key: KEY, identifier: IDENTIFIER })).status).toBe(401)
  })

  it('finds the live generation after many renewals, revocations and expiries', async () => {
    const fx = jwt({ keyExpiry: '1h' })
    for (let round = 0; round < 12; round++) {
      if (round % 3 === 2) fx.clock.advance(2 * 3_600_000)
      expect((await fx.register()).status).toBe(201)
      const tokens = await fx.login()
      expect(
        (await fx.post('/refresh', { refresh_token: tokens.refresh_token, identifier: IDENTIFIER })).status,
      ).toBe(200)
    }
    const keys = await fx.issuer.apiKeys.list({ subject: IDENTIFIER })
    expect(keys).toHaveLength(12)
    expect(keys.filter((k) => k.revokedAt === null && Date.parse(k.expiresAt!) > fx.clock.now)).toHaveLength(
      1,
    )
    expect(keys.map((k) => k.metadata.generation as number).sort((a, b) => a - b)).toEqual([
      ...Array(12).keys(),
    ])
  })

  it("refuses an address that failed for an identifier, slows the identifier's owner elsewhere down", async () => {
    const fx = jwt(
      {},
      {
        rateLimit: { maxFailures: 3, window: '1m', slowdown: '5ms' },
        clientAddress: (request) => request.headers.get('x-test-address') ?? undefined,
      },
    )
    await fx.register()
    const stranger = { 'x-test-address': '10.6.6.6' }
    for (let i = 0; i < 3; i++) {
      const guess = await fx.post('/authenticate', { key: `guess-${i}`, identifier: IDENTIFIER }, stranger)
      expect(guess.status).toBe(401)
    }
    const limited = await fx.post('/authenticate', { key: KEY, identifier: IDENTIFIER }, stranger)
    expect(limited).toMatchObject({ status: 429, body: {} })
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(fx.events).toContainEqual(
      expect.objectContaining({ type: 'rate_limited', scope: 'address+identifier', address: '10.6.6.6' }),
    )
    // The owner, from its own address, still gets in — after the slowdown.
    const owner = await fx.post(
      '/authenticate',
      { key: KEY, identifier: IDENTIFIER },
      { 'x-test-address': '10.0.0.1' },
    )
    expect(owner.status).toBe(200)
    expect(fx.events).toContainEqual(
      expect.objectContaining({ type: 'rate_slowed', scope: 'identifier', address: '10.0.0.1', delayMs: 5 }),
    )
    fx.clock.advance(60_000)
    expect((await fx.post('/authenticate', { key: KEY, identifier: IDENTIFIER }, stranger)).status).toBe(200)
  })

  it('requires the admin credential on the internal group when configured, not on the external one', async () => {
    const fx = jwt({ adminToken: INTERNAL_TOKEN })
    expect(await fx.register()).toMatchObject({ status: 401, body: {} })
    expect((await fx.register(KEY, IDENTIFIER, bearer('wrong-token'))).status).toBe(401)
    expect((await fx.register(KEY, IDENTIFIER, bearer(ADMIN_TOKEN))).status).toBe(401)
    expect((await fx.post('/is_key_registered', { key: KEY })).status).toBe(401)
    expect((await fx.register(KEY, IDENTIFIER, bearer(INTERNAL_TOKEN))).status).toBe(201)
    expect((await fx.post('/is_key_registered', { key: KEY }, bearer(INTERNAL_TOKEN))).body).toEqual({
      result: true,
    })
    await fx.login()
    expect(fx.events).toContainEqual(
      expect.objectContaining({
        type: 'auth_failed',
        route: 'jwthenticator/register_key',
        reason: 'admin_missing',
      }),
    )
  })

  it('answers 404 for a disabled group; serves under a prefix next to Keygate routes', async () => {
    const internalOnly = jwt({ external: false })
    expect((await internalOnly.register()).status).toBe(201)
    for (const path of ['/authenticate', '/refresh', '/validate']) {
      expect(await internalOnly.post(path, {})).toMatchObject({ status: 404, body: {} })
    }
    expect((await internalOnly.call('GET', '/validate_request')).status).toBe(404)
    expect((await internalOnly.call('GET', '/health')).status).toBe(200)

    const externalOnly = jwt({ internal: false })
    expect(await externalOnly.register()).toMatchObject({ status: 404, body: {} })
    expect((await externalOnly.post('/is_key_registered', { key: KEY })).status).toBe(404)

    const prefixed = jwt({ prefix: '/jwt/' })
    expect((await prefixed.call('GET', '/jwt/')).body).toEqual({ result: true })
    expect((await prefixed.post('/jwt/register_key', { key: KEY, identifier: IDENTIFIER })).status).toBe(201)
    expect((await prefixed.post('/jwt/authenticate', { key: KEY, identifier: IDENTIFIER })).status).toBe(200)
    // Without the prefix these paths are not JWThenticator's: Keygate's 404.
    const bare = await prefixed.post('/authenticate', { key: KEY, identifier: IDENTIFIER })
    expect(bare.status).toBe(404)
    expect(bare.body).toMatchObject({ code: 'ERR_NOT_FOUND' })
    // Keygate's own routes are untouched.
    expect((await prefixed.call('GET', '/.well-known/jwks.json')).status).toBe(200)
    expect((await jwt().call('GET', '/.well-known/oauth-authorization-server')).status).toBe(200)
  })

  it('answers /validate_request with 200, 401 or 403 only, whatever the header and method', async () => {
    const fx = jwt()
    await fx.register()
    const { jwt: token } = await fx.login()
    const cases: Array<[Record<string, string>, number]> = [
      [{}, 403],
      [{ authorization: '' }, 403],
      [{ authorization: 'Bearer' }, 403],
      [{ authorization: 'Bearer ' }, 403],
      [{ authorization: `Bearer  ${token}` }, 403],
      [{ authorization: `Bearer ${token} extra` }, 403],
      [{ authorization: `Basic ${btoa('a:b')}` }, 403],
      [{ authorization: `Token ${token}` }, 403],
      [{ authorization: 'Bearer garbage' }, 401],
      [{ authorization: 'Bearer a.b.c' }, 401],
      [{ authorization: 'Bearer ....' }, 401],
      [{ authorization: `Bearer ${'A'.repeat(10_000)}` }, 401],
      [{ authorization: `Bearer ${token.slice(0, -4)}AAAA` }, 401],
      [{ authorization: `Bearer ${token.split('.').slice(0, 2).join('.')}.` }, 401],
      [{ authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJ0b2tlbl9pZCI6IngifQ.' }, 401],
      [{ authorization: 'Bearer %00%ff' }, 401],
      [{ authorization: `Bearer ${token}` }, 200],
      [{ authorization: `bearer ${token}` }, 200],
    ]
    for (const [headers, status] of cases) {
      const answer = await fx.call('GET', '/validate_request', undefined, headers)
      expect({ header: headers.authorization?.slice(0, 40), status: answer.status }).toEqual({
        header: headers.authorization?.slice(0, 40),
        status,
      })
      expect(answer.body).toEqual({})
    }
    // Nginx's auth_request keeps the original method.
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await fx.call(method, '/validate_request', undefined, bearer(token))).status).toBe(200)
    }
    expect((await fx.call('HEAD', '/validate_request', undefined, bearer(token))).status).toBe(200)
  })

  it('reports through onEvent without keys, refresh tokens or JWTs', async () => {
    const fx = jwt()
    await fx.register()
    const tokens = await fx.login()
    await fx.post('/refresh', { refresh_token: tokens.refresh_token, identifier: IDENTIFIER })
    await fx.post('/authenticate', { key: 'wrong', identifier: IDENTIFIER })
    const types = fx.events.map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['key_created', 'key_used', 'token_issued', 'auth_failed']))
    expect(
      fx.events.filter((e) => e.type === 'token_issued').map((e) => (e as { grant: string }).grant),
    ).toEqual(['client_credentials', 'refresh_token'])
    const dump = JSON.stringify(fx.events)
    for (const secret of [KEY, 'wrong', tokens.refresh_token, tokens.jwt, tokens.jwt.split('.')[2]!]) {
      expect(dump).not.toContain(secret)
    }
  })

  it('validates its options at construction', () => {
    const bad: JWThenticatorOptions[] = [
      { prefix: 'jwt' },
      { leaseTime: 0 },
      { leaseTime: '3d' },
      { adminToken: 'short' },
      { audience: [''] },
      { keyExpiry: '-1s' as never },
    ]
    for (const options of bad) {
      expect(() => setup({ jwthenticator: options })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
      )
    }
  })

  it('leaves Keygate routes alone when not enabled', async () => {
    const fx: Fixture = setup()
    const response = await fx.request('/authenticate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY, identifier: IDENTIFIER }),
    })
    expect(response.status).toBe(404)
    expect((await fx.request('/health')).status).toBe(404)
    expect(AUDIENCE).toBeTruthy()
  })
})
