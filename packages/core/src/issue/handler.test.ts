import { describe, expect, it } from 'vitest'
import { InvalidRequestError } from '../errors.js'
import { createTestIssuer } from '../testing/test-issuer.js'
import { createAuth } from '../verify/create-auth.js'
import { formatCredential } from './credential-format.js'
import type { IssuerRequest, IssuerResponse } from './exchange.js'
import { ADMIN_TOKEN, AUDIENCE, basic, ISSUER, setup } from './test-fixtures.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

async function withKey(overrides: Parameters<typeof setup>[0] = {}) {
  const f = setup(overrides)
  const created = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n', permissions: ['read', 'write'] })
  return { f, ...created }
}

async function oauthError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toBe('application/json')
  expect(response.headers.get('cache-control')).toBe('no-store')
  const body = await response.json()
  expect(body.error).toBe(error)
  expect(typeof body.code).toBe('string')
  return body
}

describe('routing', () => {
  it('answers 404 for unknown paths and 405 with Allow for wrong methods', async () => {
    const f = setup()
    await oauthError(await f.request('/nope'), 404, 'invalid_request')
    const wrong = await f.request('/token')
    await oauthError(wrong, 405, 'invalid_request')
    expect(wrong.headers.get('allow')).toBe('POST')
    const jwks = await f.request('/.well-known/jwks.json', { method: 'DELETE' })
    expect(jwks.status).toBe(405)
    expect(jwks.headers.get('allow')).toBe('GET, HEAD')
  })

  it('serves every route under basePath and nothing outside it', async () => {
    const f = setup({ basePath: '/oauth' })
    expect((await f.request('/oauth/.well-known/jwks.json')).status).toBe(200)
    expect((await f.request('/.well-known/jwks.json')).status).toBe(404)
    expect((await f.request('/oauthx/token', { method: 'POST' })).status).toBe(404)
    const metadata = await (await f.request('/oauth/.well-known/oauth-authorization-server')).json()
    expect(metadata.token_endpoint).toBe(`${ISSUER}/oauth/token`)
    expect(f.issuer.jwksUri).toBe(`${ISSUER}/oauth/.well-known/jwks.json`)
  })

  it('hides the admin routes when no admin token is configured', async () => {
    const f = setup({ adminToken: undefined })
    expect(
      (await f.request('/admin/api-keys', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status,
    ).toBe(404)
  })
})

describe('POST /token', () => {
  it('client_credentials with Basic: RFC 6749 JSON, no-store', async () => {
    const { f, id, key } = await withKey()
    const response = await f.post(
      '/token',
      { grant_type: 'client_credentials' },
      { authorization: basic(id, key) },
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('pragma')).toBe('no-cache')
    const body = await response.json()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'read write' })
    expect(body.access_token.split('.')).toHaveLength(3)
    expect(body.refresh_token).toMatch(/^kgr_/)
  })

  it('client_credentials with the form: client_secret alone, or with a matching client_id', async () => {
    const { f, id, key } = await withKey()
    expect((await f.post('/token', { grant_type: 'client_credentials', client_secret: key })).status).toBe(
      200,
    )
    expect(
      (await f.post('/token', { grant_type: 'client_credentials', client_id: id, client_secret: key }))
        .status,
    ).toBe(200)
    const mismatch = await f.post('/token', {
      grant_type: 'client_credentials',
      client_id: 'AAAAAAAAAAAAAAAA',
      client_secret: key,
    })
    await oauthError(mismatch, 401, 'invalid_client')
    expect(mismatch.headers.get('www-authenticate')).toBeNull()
  })

  it('down-scoping: a subset is granted, anything more is invalid_scope', async () => {
    const { f, key } = await withKey()
    const narrow = await f.post('/token', {
      grant_type: 'client_credentials',
      client_secret: key,
      scope: 'read',
    })
    expect((await narrow.json()).scope).toBe('read')
    await oauthError(
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key, scope: 'read admin' }),
      400,
      'invalid_scope',
    )
  })

  it('refresh of an API key token needs that key (RFC 6749 §6); a createToken token needs none', async () => {
    const { f, id, key } = await withKey()
    const other = await f.issuer.apiKeys.create({ subject: 'other', name: 'n' })
    const first = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    const refresh_token = first.refresh_token as string
    // The refresh token alone (a leaked one) mints nothing.
    const alone = await f.post('/token', { grant_type: 'refresh_token', refresh_token })
    await oauthError(alone, 401, 'invalid_client')
    await oauthError(
      await f.post('/token', { grant_type: 'refresh_token', refresh_token, client_secret: other.key }),
      400,
      'invalid_grant',
    )
    await oauthError(
      await f.post('/token', { grant_type: 'refresh_token', refresh_token, client_secret: 'kg_wrong' }),
      401,
      'invalid_client',
    )
    // Refused attempts did not spend the token: the owner refreshes, by Basic or in the form.
    const byBasic = await f.post(
      '/token',
      { grant_type: 'refresh_token', refresh_token },
      { authorization: basic(id, key) },
    )
    expect(byBasic.status).toBe(200)
    const rotated = (await byBasic.json()).refresh_token as string
    const byForm = await f.post('/token', {
      grant_type: 'refresh_token',
      refresh_token: rotated,
      client_id: id,
      client_secret: key,
    })
    expect(byForm.status).toBe(200)

    // In code: the same rule, with the key as `apiKey`.
    const next = (await byForm.json()).refresh_token as string
    await expect(f.issuer.refresh(next)).rejects.toMatchObject({ code: 'ERR_INVALID_CLIENT' })
    await expect(f.issuer.refresh(next, { apiKey: other.key })).rejects.toMatchObject({
      code: 'ERR_INVALID_GRANT',
    })
    await expect(f.issuer.refresh(next, { apiKey: 'kg_nope' })).rejects.toMatchObject({
      code: 'ERR_INVALID_CLIENT',
    })
    await expect(f.issuer.refresh(next, { apiKey: key })).resolves.toMatchObject({ tokenType: 'Bearer' })

    const { refreshToken } = await f.issuer.createToken({ subject: 'u', refresh: true })
    expect(
      (await f.post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken! })).status,
    ).toBe(200)
  })

  it('scope= with an empty value is treated as omitted (RFC 6749 §3.2): the full grant', async () => {
    const { f, key } = await withKey()
    const response = await f.post('/token', {
      grant_type: 'client_credentials',
      client_secret: key,
      scope: '',
    })
    expect(response.status).toBe(200)
    expect((await response.json()).scope).toBe('read write')
  })

  it('the subject always comes from the key record, never from the request', async () => {
    const { f, key } = await withKey()
    const response = await f.post('/token', {
      grant_type: 'client_credentials',
      client_secret: key,
      sub: 'root',
      subject: 'root',
    })
    const { access_token } = await response.json()
    const payload = JSON.parse(atob(access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
    expect(payload.sub).toBe('svc')
  })

  it('invalid_client over Basic carries WWW-Authenticate: Basic; errors never echo the key', async () => {
    const { f, id, key } = await withKey()
    const wrongKey = `${key.slice(0, -10)}${'x'.repeat(10)}`
    const response = await f.post(
      '/token',
      { grant_type: 'client_credentials' },
      { authorization: basic(id, wrongKey) },
    )
    const body = await oauthError(response, 401, 'invalid_client')
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /)
    expect(JSON.stringify(body)).not.toContain(wrongKey.slice(20))
  })

  it('rejects a checksum-garbage key without any store lookup', async () => {
    const { f, key } = await withKey()
    const before = f.store.calls.getAPIKey ?? 0
    const garbage = [
      `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
      'kg_nonsense',
      'x'.repeat(69),
      key.replace('kg_', 'kx_'),
    ]
    for (const secret of garbage) {
      await oauthError(
        await f.post('/token', { grant_type: 'client_credentials', client_secret: secret }),
        401,
        'invalid_client',
      )
    }
    expect(f.store.calls.getAPIKey ?? 0).toBe(before)
    // A well-formed key with a valid checksum does reach the store (and fails there).
    const { key: other } = await f.issuer.apiKeys.create({ subject: 's', name: 'n' })
    await f.issuer.apiKeys.revoke(other.split('_')[1]!)
    await oauthError(
      await f.post('/token', { grant_type: 'client_credentials', client_secret: other }),
      401,
      'invalid_client',
    )
    expect(f.store.calls.getAPIKey).toBe(before + 1)
  })

  it('records last_used_at, at most once a minute', async () => {
    const { f, id, key } = await withKey()
    await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    expect((await f.issuer.apiKeys.get(id))?.lastUsedAt).toBe(new Date(f.clock.now).toISOString())
    const touches = f.store.calls.touchAPIKey
    f.clock.advance(10_000)
    await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    expect(f.store.calls.touchAPIKey).toBe(touches)
    f.clock.advance(60_000)
    await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    expect((await f.issuer.apiKeys.get(id))?.lastUsedAt).toBe(new Date(f.clock.now).toISOString())
  })

  it.each([
    ['no grant_type', {}, 400, 'invalid_request'],
    ['an unknown grant_type', { grant_type: 'password' }, 400, 'unsupported_grant_type'],
    ['client_credentials without credentials', { grant_type: 'client_credentials' }, 401, 'invalid_client'],
    ['refresh_token without a token', { grant_type: 'refresh_token' }, 400, 'invalid_request'],
    [
      'a garbage refresh token',
      { grant_type: 'refresh_token', refresh_token: 'kgr_x' },
      400,
      'invalid_grant',
    ],
    ['a malformed scope', { grant_type: 'client_credentials', scope: 'a"b' }, 400, 'invalid_request'],
  ])('%s → %i %s', async (_name, form, status, error) => {
    const f = setup()
    await oauthError(await f.post('/token', form as Record<string, string>), status, error)
  })

  it.each([
    ['JSON instead of a form', { 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}'],
    ['no content type', {}, 'grant_type=client_credentials'],
    ['text/plain', { 'content-type': 'text/plain' }, 'grant_type=client_credentials'],
    ['a repeated parameter', FORM, 'grant_type=client_credentials&grant_type=refresh_token'],
    ['a parameter without a name', FORM, '=x&grant_type=client_credentials'],
  ])('%s → 400 invalid_request', async (_name, headers, body) => {
    const f = setup()
    await oauthError(await f.request('/token', { method: 'POST', headers, body }), 400, 'invalid_request')
  })

  it('invalid UTF-8 → 400', async () => {
    const f = setup()
    const body = new Uint8Array([0x67, 0x72, 0x61, 0x6e, 0x74, 0x3d, 0xff, 0xfe])
    await oauthError(
      await f.request('/token', { method: 'POST', headers: FORM, body }),
      400,
      'invalid_request',
    )
  })

  it('oversized bodies → 400, whether declared, undeclared or streamed', async () => {
    const f = setup()
    const big = `grant_type=client_credentials&pad=${'a'.repeat(17 * 1024)}`
    await oauthError(
      await f.request('/token', { method: 'POST', headers: FORM, body: big }),
      400,
      'invalid_request',
    )
    const declared = await f.request('/token', {
      method: 'POST',
      headers: { ...FORM, 'content-length': String(1024 * 1024) },
      body: 'grant_type=client_credentials',
    })
    await oauthError(declared, 400, 'invalid_request')
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1
        // An endless body: reading must stop once the limit is passed.
        controller.enqueue(new Uint8Array(4096).fill(0x61))
      },
    })
    const streamed = await f.request('/token', {
      method: 'POST',
      headers: FORM,
      body: stream,
      duplex: 'half',
    } as RequestInit)
    await oauthError(streamed, 400, 'invalid_request')
    expect(pulled).toBeLessThan(10)
  })

  it('malformed Basic credentials and credentials sent twice → 400', async () => {
    const { f, id, key } = await withKey()
    await oauthError(
      await f.post('/token', { grant_type: 'client_credentials' }, { authorization: 'Basic !!!' }),
      400,
      'invalid_request',
    )
    await oauthError(
      await f.post(
        '/token',
        { grant_type: 'client_credentials' },
        { authorization: `Basic ${btoa('no-colon')}` },
      ),
      400,
      'invalid_request',
    )
    await oauthError(
      await f.post(
        '/token',
        { grant_type: 'client_credentials', client_secret: key },
        { authorization: basic(id, key) },
      ),
      400,
      'invalid_request',
    )
  })
})

describe('rate limiting', () => {
  // The test's client address comes from a header, as a runtime's would come from the socket.
  const byHeader = (request: { headers: { get(name: string): string | null } }) =>
    request.headers.get('x-test-address') ?? undefined
  const from = (address: string) => ({ 'x-test-address': address })

  it("refuses an address that failed maxFailures times for a key, not the key's owner elsewhere: the owner is slowed down", async () => {
    const { f, id, key } = await withKey({
      rateLimit: { maxFailures: 3, window: '1m', slowdown: '10ms' },
      clientAddress: byHeader,
    })
    const other = await f.issuer.apiKeys.create({ subject: 'other', name: 'n', permissions: ['read'] })
    // A well-formed wrong key for this id (valid checksum), so the failure counts against the id.
    const wellFormedWrong = formatCredential('kg', id, 'a'.repeat(43))
    const token = (secret: string, address: string) =>
      f.post('/token', { grant_type: 'client_credentials', client_secret: secret }, from(address))
    for (let i = 0; i < 3; i++)
      await oauthError(await token(wellFormedWrong, '10.6.6.6'), 401, 'invalid_client')
    // The stranger's address is refused for this key, whatever it sends…
    const limited = await token(key, '10.6.6.6')
    await oauthError(limited, 429, 'slow_down')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(f.events.filter((e) => e.type === 'rate_limited')).toEqual([
      expect.objectContaining({ scope: 'address+key', keyId: id, address: '10.6.6.6' }),
    ])
    // …but not for another key, and the owner's right secret from its own address still works,
    // after waiting the slowdown: the key used its own budget.
    expect((await token(other.key, '10.6.6.6')).status).toBe(200)
    expect((await token(key, '10.0.0.1')).status).toBe(200)
    expect(f.events.filter((e) => e.type === 'rate_slowed')).toEqual([
      expect.objectContaining({ scope: 'key', keyId: id, address: '10.0.0.1', delayMs: 10 }),
    ])
    // The window passes: nothing is refused or slowed any more.
    f.clock.advance(61_000)
    expect((await token(key, '10.6.6.6')).status).toBe(200)
    expect(f.events.filter((e) => e.type === 'rate_slowed' || e.type === 'rate_limited')).toHaveLength(2)
  })

  it('refuses an address that failed addressScale × maxFailures times over any keys', async () => {
    const { f, key } = await withKey({
      rateLimit: { maxFailures: 2, addressScale: 3 },
      clientAddress: byHeader,
    })
    const token = (secret: string, address: string) =>
      f.post('/token', { grant_type: 'client_credentials', client_secret: secret }, from(address))
    for (let i = 0; i < 5; i++) expect((await token('garbage', '10.0.0.5')).status).toBe(401)
    expect((await token(key, '10.0.0.5')).status).toBe(200)
    expect((await token('garbage', '10.0.0.5')).status).toBe(401)
    await oauthError(await token(key, '10.0.0.5'), 429, 'slow_down')
    expect(f.events.find((e) => e.type === 'rate_limited')).toMatchObject({
      scope: 'address',
      address: '10.0.0.5',
    })
    expect((await token(key, '10.0.0.6')).status).toBe(200)
  })

  it('without a client address, failures for a key slow its attempts down and never refuse them', async () => {
    const { f, id, key } = await withKey({ rateLimit: { maxFailures: 2, slowdown: '5ms' } })
    const wellFormedWrong = formatCredential('kg', id, 'b'.repeat(43))
    for (let i = 0; i < 5; i++) {
      const wrong = await f.post('/token', {
        grant_type: 'client_credentials',
        client_secret: wellFormedWrong,
      })
      expect(wrong.status).toBe(401)
    }
    expect((await f.post('/token', { grant_type: 'client_credentials', client_secret: key })).status).toBe(
      200,
    )
    expect(f.events.some((e) => e.type === 'rate_limited')).toBe(false)
    expect(f.events.filter((e) => e.type === 'rate_slowed')).toHaveLength(4)
    expect(f.events.find((e) => e.type === 'rate_slowed')).toMatchObject({
      scope: 'key',
      keyId: id,
      address: null,
    })
  })

  it('slowdown 0 lets attempts through at once; bad addressScale or slowdown is a configuration error', async () => {
    const { f, id, key } = await withKey({ rateLimit: { maxFailures: 1, slowdown: 0 } })
    const wellFormedWrong = formatCredential('kg', id, 'c'.repeat(43))
    await f.post('/token', { grant_type: 'client_credentials', client_secret: wellFormedWrong })
    expect((await f.post('/token', { grant_type: 'client_credentials', client_secret: key })).status).toBe(
      200,
    )
    expect(f.events.some((e) => e.type === 'rate_slowed')).toBe(false)
    for (const rateLimit of [
      { addressScale: 0 },
      { addressScale: 1.5 },
      { slowdown: -1 },
      { slowdown: 'soon' },
    ]) {
      expect(() => setup({ rateLimit } as never), JSON.stringify(rateLimit)).toThrow(
        /rateLimit\.(addressScale|slowdown)/,
      )
    }
  })

  it('limits per client address only with trustProxy, using the proxy-added (last) X-Forwarded-For entry', async () => {
    const { f, key } = await withKey({ rateLimit: { maxFailures: 2, addressScale: 1 }, trustProxy: true })
    const from = (address: string) => ({ 'x-forwarded-for': `1.1.1.1, ${address}` })
    for (let i = 0; i < 2; i++)
      await f.post('/token', { grant_type: 'client_credentials', client_secret: 'garbage' }, from('10.0.0.1'))
    await oauthError(
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key }, from('10.0.0.1')),
      429,
      'slow_down',
    )
    expect(
      (await f.post('/token', { grant_type: 'client_credentials', client_secret: key }, from('10.0.0.2')))
        .status,
    ).toBe(200)
  })

  it('limits failed admin attempts per address', async () => {
    const f = setup({ rateLimit: { maxFailures: 2 }, clientAddress: () => '10.0.0.9' })
    for (let i = 0; i < 2; i++)
      await f.request('/admin/api-keys', { headers: { authorization: 'Bearer wrong-token' } })
    const limited = await f.request('/admin/api-keys', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(limited.status).toBe(429)
  })
})

describe('POST /revoke', () => {
  it('revokes a refresh token for its own client, answers 200 for unknown tokens', async () => {
    const { f, key } = await withKey()
    const { refresh_token } = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    expect((await f.post('/revoke', { token: 'kgr_unknown', client_secret: key })).status).toBe(200)
    await oauthError(
      await f.post('/revoke', { token: 'eyJ.access.token', client_secret: key }),
      400,
      'unsupported_token_type',
    )
    expect(
      (
        await f.post('/revoke', {
          token: refresh_token,
          client_secret: key,
          token_type_hint: 'refresh_token',
        })
      ).status,
    ).toBe(200)
    await oauthError(
      await f.post('/token', { grant_type: 'refresh_token', refresh_token }),
      400,
      'invalid_grant',
    )
  })

  it("another client's token is left alone (still 200); no client at all is 401", async () => {
    const { f, key } = await withKey()
    const other = await f.issuer.apiKeys.create({ subject: 'other', name: 'n' })
    const { refresh_token } = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    expect((await f.post('/revoke', { token: refresh_token, client_secret: other.key })).status).toBe(200)
    await oauthError(await f.post('/revoke', { token: refresh_token }), 401, 'invalid_client')
    const refreshed = await f.post('/token', {
      grant_type: 'refresh_token',
      refresh_token,
      client_secret: key,
    })
    expect(refreshed.status).toBe(200)
  })

  it('an access token is 400 unsupported_token_type (RFC 7009 §2.2.1), never a 200 that changes nothing', async () => {
    const { f, key } = await withKey()
    const { access_token } = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    const forms: Record<string, string>[] = [
      { token: access_token, client_secret: key },
      { token: access_token, client_secret: key, token_type_hint: 'access_token' },
      { token: access_token, client_secret: key, token_type_hint: 'refresh_token' },
      { token: access_token },
      { token: 'opaque-garbage', token_type_hint: 'access_token' },
    ]
    for (const form of forms) {
      await oauthError(await f.post('/revoke', form), 400, 'unsupported_token_type')
    }
    // Unknown refresh-shaped or opaque tokens are still 200 (RFC 7009 §2.2).
    expect((await f.post('/revoke', { token: 'opaque-garbage' })).status).toBe(200)
  })

  it('refresh tokens from createToken (no client) can be revoked by their holder', async () => {
    const f = setup()
    const { refreshToken } = await f.issuer.createToken({ subject: 'u', refresh: true })
    expect((await f.post('/revoke', { token: refreshToken! })).status).toBe(200)
    expect(
      (await f.post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken! })).status,
    ).toBe(400)
  })

  it('errors: missing token 400, wrong content type 400, bad client 401', async () => {
    const { f } = await withKey()
    await oauthError(await f.post('/revoke', {}), 400, 'invalid_request')
    await oauthError(await f.request('/revoke', { method: 'POST', body: 'token=x' }), 400, 'invalid_request')
    await oauthError(await f.post('/revoke', { token: 'x', client_secret: 'kg_bad' }), 401, 'invalid_client')
  })
})

describe('POST /introspect', () => {
  it('needs the admin credential or an API key', async () => {
    const { f } = await withKey()
    const anonymous = await f.post('/introspect', { token: 'x' })
    await oauthError(anonymous, 401, 'unauthorized')
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const wrong = await f.post('/introspect', { token: 'x' }, { authorization: 'Bearer not-the-admin-token' })
    // The body and the challenge agree (RFC 6750 §3.1): a wrong Bearer credential is invalid_token.
    await oauthError(wrong, 401, 'invalid_token')
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('describes valid access and refresh tokens; anything else is { active: false }', async () => {
    const { f, id, key } = await withKey()
    const tokens = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const access = await (await f.post('/introspect', { token: tokens.access_token }, admin)).json()
    expect(access).toMatchObject({
      active: true,
      sub: 'svc',
      scope: 'read write',
      client_id: id,
      iss: ISSUER,
      aud: AUDIENCE,
    })
    const viaKey = await (
      await f.post('/introspect', { token: tokens.access_token, client_secret: key })
    ).json()
    expect(viaKey.active).toBe(true)
    const refresh = await (await f.post('/introspect', { token: tokens.refresh_token }, admin)).json()
    expect(refresh).toMatchObject({ active: true, token_type: 'refresh_token', sub: 'svc', client_id: id })
    for (const token of ['garbage', `${tokens.access_token}x`, 'kgr_abc', 'a.b.c']) {
      expect(await (await f.post('/introspect', { token }, admin)).json()).toEqual({ active: false })
    }
    f.clock.advance(16 * 60_000)
    expect(await (await f.post('/introspect', { token: tokens.access_token }, admin)).json()).toEqual({
      active: false,
    })
    await f.issuer.apiKeys.revoke(id)
    expect(await (await f.post('/introspect', { token: tokens.refresh_token }, admin)).json()).toEqual({
      active: false,
    })
  })

  it('tokens issued for an API key with its own audience are active too', async () => {
    const f = setup()
    const { key } = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n', audience: 'urn:other-api' })
    const tokens = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const introspected = await (await f.post('/introspect', { token: tokens.access_token }, admin)).json()
    expect(introspected).toMatchObject({ active: true, aud: 'urn:other-api' })
    // The decision endpoint guards the issuer's own audience only.
    const decided = await f.request('/auth/decide', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(decided.status).toBe(401)
  })

  it('a rotated (consumed) refresh token is inactive', async () => {
    const { f, key } = await withKey()
    const tokens = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    const refreshed = await f.post('/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_secret: key,
    })
    expect(refreshed.status).toBe(200)
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    expect(await (await f.post('/introspect', { token: tokens.refresh_token }, admin)).json()).toEqual({
      active: false,
    })
  })
})

describe('JWKS and metadata', () => {
  it('JWKS: public keys only, max-age shorter than publishAhead, ETag revalidation, HEAD', async () => {
    const f = setup({ signing: { publishAhead: '2h', rotateEvery: '1d' } })
    const response = await f.request('/.well-known/jwks.json')
    expect(response.status).toBe(200)
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1])
    expect(maxAge).toBeGreaterThan(0)
    expect(maxAge * 1000).toBeLessThan(2 * 3_600_000)
    const { keys } = await response.json()
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
    expect(keys[0]).not.toHaveProperty('d')
    const etag = response.headers.get('etag')!
    expect((await f.request('/.well-known/jwks.json', { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    )
    const head = await f.request('/.well-known/jwks.json', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('no OpenID Provider metadata: this issuer has no authorization endpoint nor ID tokens', async () => {
    const f = setup()
    await oauthError(await f.request('/.well-known/openid-configuration'), 404, 'invalid_request')
    // Keygate's own verifier discovers the JWKS through the RFC 8414 fallback.
    const auth = createAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      clock: () => f.clock.now,
      fetch: (input, init) => f.issuer.handle(new Request(input, init)),
    })
    const { accessToken } = await f.issuer.createToken({ subject: 'u' })
    expect((await auth.verify(accessToken)).subject).toBe('u')
    auth.close()
  })

  it('RFC 8414 metadata points at the routes', async () => {
    const f = setup()
    for (const path of ['/.well-known/oauth-authorization-server']) {
      const doc = await (await f.request(path)).json()
      expect(doc).toMatchObject({
        issuer: ISSUER,
        token_endpoint: `${ISSUER}/token`,
        jwks_uri: `${ISSUER}/.well-known/jwks.json`,
        revocation_endpoint: `${ISSUER}/revoke`,
        introspection_endpoint: `${ISSUER}/introspect`,
        grant_types_supported: ['client_credentials', 'refresh_token'],
      })
    }
  })
})

describe('/auth/decide', () => {
  it('200 with subject and permissions headers; 403 when a required permission is missing', async () => {
    const f = setup()
    const { accessToken } = await f.issuer.createToken({ subject: 'user-1', permissions: ['read', 'write'] })
    const auth = { authorization: `Bearer ${accessToken}` }
    const ok = await f.request('/auth/decide?permissions=read,write', { headers: auth })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-auth-subject')).toBe('user-1')
    expect(ok.headers.get('x-auth-permissions')).toBe('read write')
    expect((await f.request('/auth/decide?permissions=admin', { headers: auth })).status).toBe(403)
    // The proxy may forward any method.
    expect((await f.request('/auth/decide', { method: 'POST', headers: auth })).status).toBe(200)
  })

  it('only ever answers 401 for anything wrong with the credentials', async () => {
    const f = setup()
    const { accessToken } = await f.issuer.createToken({ subject: 'u' })
    const foreign = await createTestIssuer({ algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE })
    const forged = await foreign.sign({ sub: 'u' }, { header: { typ: 'at+jwt' } })
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Bearer a.b.c' },
      { authorization: `Bearer ${accessToken}, Bearer ${accessToken}` },
      { authorization: `Basic ${btoa('a:b')}` },
      { authorization: `Bearer ${forged}` },
      { authorization: `Bearer ${accessToken.slice(0, -4)}AAAA` },
    ]
    for (const headers of cases) {
      const response = await f.request('/auth/decide', { headers })
      expect(response.status).toBe(401)
    }
    f.clock.advance(20 * 60_000)
    expect(
      (await f.request('/auth/decide', { headers: { authorization: `Bearer ${accessToken}` } })).status,
    ).toBe(401)
  })
})

describe('admin routes', () => {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const json = { ...admin, 'content-type': 'application/json' }

  it('create (201, key shown once), list, get, revoke (204); the key then stops working', async () => {
    const f = setup()
    const created = await f.request('/admin/api-keys', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        subject: 'svc',
        name: 'ci',
        permissions: ['deploy'],
        expiresIn: '30d',
        metadata: { a: 1 },
      }),
    })
    expect(created.status).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    const { id, key, record } = await created.json()
    expect(key).toMatch(/^kg_/)
    expect(record).toMatchObject({ subject: 'svc', name: 'ci', permissions: ['deploy'] })
    expect(record.expiresAt).toBe(new Date(f.clock.now + 30 * 86_400_000).toISOString())
    const listed = await (await f.request('/admin/api-keys?subject=svc', { headers: admin })).json()
    expect(listed.keys.map((k: { id: string }) => k.id)).toEqual([id])
    expect(JSON.stringify(listed)).not.toContain(key)
    expect((await f.request(`/admin/api-keys/${id}`, { headers: admin })).status).toBe(200)
    expect((await f.post('/token', { grant_type: 'client_credentials', client_secret: key })).status).toBe(
      200,
    )
    expect((await f.request(`/admin/api-keys/${id}`, { method: 'DELETE', headers: admin })).status).toBe(204)
    await oauthError(
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key }),
      401,
      'invalid_client',
    )
    await oauthError(
      await f.request('/admin/api-keys/AAAAAAAAAAAAAAAA', { method: 'DELETE', headers: admin }),
      404,
      'invalid_request',
    )
    await oauthError(await f.request('/admin/api-keys/..%2Fx', { headers: admin }), 404, 'invalid_request')
  })

  it('lists keys in pages: limit and after, next is the cursor or null; bad paging is a 400', async () => {
    const f = setup()
    const ids: string[] = []
    for (let i = 0; i < 5; i += 1) {
      ids.push((await f.issuer.apiKeys.create({ subject: 'pager', name: `k${i}` })).id)
      f.clock.advance(1000)
    }
    await f.issuer.apiKeys.create({ subject: 'other', name: 'x' })
    const seen: string[] = []
    let next: string | null = null
    let pages = 0
    do {
      const query: string = `subject=pager&limit=2${next === null ? '' : `&after=${next}`}`
      const response = await f.request(`/admin/api-keys?${query}`, { headers: admin })
      expect(response.status).toBe(200)
      const body = (await response.json()) as { keys: { id: string }[]; next: string | null }
      expect(body.keys.length).toBeLessThanOrEqual(2)
      seen.push(...body.keys.map((k) => k.id))
      next = body.next
      if (next !== null) expect(next).toBe(body.keys.at(-1)!.id)
      pages += 1
    } while (next !== null && pages < 10)
    expect(seen).toEqual(ids)
    expect(pages).toBe(3)
    const exact = await (await f.request('/admin/api-keys?subject=pager&limit=5', { headers: admin })).json()
    expect(exact.keys).toHaveLength(5)
    expect(exact.next).toBeNull()
    const all = await (await f.request('/admin/api-keys', { headers: admin })).json()
    expect(all.keys).toHaveLength(6)
    expect(all.next).toBeNull()
    for (const bad of [
      'limit=0',
      'limit=1001',
      'limit=abc',
      'limit=2.5',
      'limit=-1',
      'after=..',
      'limit=1&limit=2',
    ]) {
      await oauthError(await f.request(`/admin/api-keys?${bad}`, { headers: admin }), 400, 'invalid_request')
    }
  })

  it('without or with a wrong admin token: 401 with a Bearer challenge', async () => {
    const f = setup()
    const missing = await f.request('/admin/api-keys')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const wrong = await f.request('/admin/api-keys', { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } })
    expect(wrong.status).toBe(401)
  })

  it.each([
    ['a form body', { ...admin, 'content-type': 'application/x-www-form-urlencoded' }, 'subject=a&name=b'],
    ['malformed JSON', json, '{"subject":'],
    ['a JSON array', json, '[]'],
    ['a missing subject', json, '{"name":"n"}'],
    ['a wrong permissions type', json, '{"subject":"s","name":"n","permissions":"read"}'],
    ['a bad expiresIn', json, '{"subject":"s","name":"n","expiresIn":{}}'],
  ])('create with %s → 400', async (_name, headers, body) => {
    const f = setup()
    await oauthError(
      await f.request('/admin/api-keys', { method: 'POST', headers, body }),
      400,
      'invalid_request',
    )
  })
})

describe('error bodies and challenges agree', () => {
  it('on every route, the WWW-Authenticate error (when any) is the body error', async () => {
    const { f, id, key } = await withKey()
    const wrongBasic = { authorization: basic(id, `${key}x`) }
    const wrongBearer = { authorization: 'Bearer nope' }
    const responses = [
      await f.post('/token', { grant_type: 'client_credentials' }),
      await f.post('/token', { grant_type: 'client_credentials' }, wrongBasic),
      await f.post('/token', { grant_type: 'refresh_token', refresh_token: 'kgr_x' }, wrongBasic),
      await f.post('/token', { grant_type: 'password' }, wrongBasic),
      await f.post('/revoke', { token: 'x' }, wrongBasic),
      await f.post('/revoke', { token: 'a.b.c' }),
      await f.post('/introspect', { token: 'x' }),
      await f.post('/introspect', { token: 'x' }, wrongBearer),
      await f.post('/introspect', { token: 'x' }, wrongBasic),
      await f.request('/admin/api-keys'),
      await f.request('/admin/api-keys', { headers: wrongBearer }),
      await f.request('/admin/api-keys/x', { method: 'DELETE', headers: wrongBearer }),
      await f.request('/auth/decide', { headers: wrongBearer }),
      await f.request('/auth/decide'),
    ]
    let challenged = 0
    for (const response of responses) {
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      const text = await response.text()
      // /auth/decide answers reverse proxies with an empty body: nothing there can disagree.
      const body = text === '' ? undefined : JSON.parse(text)
      const challenge = response.headers.get('www-authenticate')
      const named = challenge === null ? undefined : /error="([^"]+)"/.exec(challenge)?.[1]
      if (named !== undefined && body !== undefined) {
        challenged += 1
        expect(body.error).toBe(named)
      }
    }
    expect(challenged).toBeGreaterThan(0)
  })
})

describe('never a 500 for a client mistake', () => {
  it('garbage to every route answers 4xx', async () => {
    const { f } = await withKey()
    const paths = [
      '/token',
      '/revoke',
      '/introspect',
      '/admin/api-keys',
      '/admin/api-keys/x',
      '/auth/decide',
      '/.well-known/jwks.json',
      '/%zz',
      '//',
    ]
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']
    const bodies: Array<[Record<string, string>, string]> = [
      [FORM, '%%%'],
      [FORM, 'grant_type=client_credentials&client_secret=%FF'],
      [{ 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, '\u0000'],
      [
        { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: 'Basic Og==' },
        'grant_type=refresh_token&refresh_token=kgr_',
      ],
      [{ 'content-type': 'multipart/form-data' }, '--x'],
    ]
    for (const path of paths) {
      for (const method of methods) {
        for (const [headers, body] of bodies) {
          const init: RequestInit = { method, headers }
          if (method !== 'GET') init.body = body
          const response = await f.request(path, init)
          expect(response.status, `${method} ${path}`).toBeLessThan(500)
        }
      }
    }
  })
})

describe('issuer.respond: the same routes for plain requests, as Node servers send them', () => {
  type Body = string | Uint8Array
  const plain = (
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: () => Body | Promise<Body> } = {},
  ): IssuerRequest => {
    const headers = new Headers(init.headers)
    return {
      method: init.method ?? 'GET',
      url,
      headers,
      readBody: () => (init.body ? init.body() : ''),
    }
  }
  const json = (response: IssuerResponse) => JSON.parse(response.body ?? 'null')

  it('answers POST /token from a path URL and a string or byte body, like handle does', async () => {
    const { f, id, key } = await withKey()
    const headers = { ...FORM, authorization: basic(id, key) }
    for (const body of [
      'grant_type=client_credentials',
      new TextEncoder().encode('grant_type=client_credentials'),
    ]) {
      const response = await f.issuer.respond(plain('/token', { method: 'POST', headers, body: () => body }))
      expect(response.status).toBe(200)
      expect(response.headers).toMatchObject({
        'content-type': 'application/json',
        'cache-control': 'no-store',
        pragma: 'no-cache',
      })
      expect(json(response)).toMatchObject({ token_type: 'Bearer', scope: 'read write' })
    }
    const viaHandle = await f.request('/token', { method: 'POST', headers, body: 'grant_type=password' })
    const viaRespond = await f.issuer.respond(
      plain('https://auth.example/token?x=1', { method: 'POST', headers, body: () => 'grant_type=password' }),
    )
    expect(viaRespond.status).toBe(viaHandle.status)
    expect(json(viaRespond)).toEqual(await viaHandle.json())
  })

  it('reads no body for routes without one, and answers HEAD without a body', async () => {
    const f = setup()
    let reads = 0
    const jwks = await f.issuer.respond(
      plain('/.well-known/jwks.json', {
        body: () => {
          reads += 1
          return ''
        },
      }),
    )
    expect(jwks.status).toBe(200)
    expect(json(jwks).keys.length).toBeGreaterThan(0)
    expect(reads).toBe(0)
    const head = await f.issuer.respond(plain('/.well-known/oauth-authorization-server', { method: 'HEAD' }))
    expect(head).toMatchObject({ status: 200, body: null })
  })

  it('refuses bodies over maxBodyBytes counted in UTF-8 bytes, bad UTF-8 and failing readers with 400', async () => {
    const f = setup({ maxBodyBytes: 64 })
    const post = (body: () => Body | Promise<Body>) =>
      f.issuer.respond(plain('/token', { method: 'POST', headers: FORM, body }))
    const cases: [string, () => Body | Promise<Body>, string][] = [
      // 30 characters, 60 bytes of padding: over 64 bytes only when counted as UTF-8.
      ['multi-byte text', () => `grant_type=x&p=${'é'.repeat(30)}`, 'The request body is too large'],
      ['bytes', () => new Uint8Array(65).fill(0x61), 'The request body is too large'],
      ['bad UTF-8', () => new Uint8Array([0x61, 0x3d, 0xff]), 'The request body is not valid UTF-8'],
      [
        'a reader error',
        async () => {
          throw new Error('socket hang up')
        },
        'The request body could not be read',
      ],
      [
        "the reader's own refusal",
        () => {
          throw new InvalidRequestError('The request body is too large')
        },
        'The request body is too large',
      ],
    ]
    for (const [name, body, description] of cases) {
      const response = await post(body)
      expect(response.status, name).toBe(400)
      expect(json(response), name).toMatchObject({ error: 'invalid_request', error_description: description })
    }
  })

  it('handle(request, { clientAddress }) rate-limits per the address the runtime reports', async () => {
    const { f, key } = await withKey({ rateLimit: { maxFailures: 2, addressScale: 1 } })
    const attempt = (secret: string, clientAddress: string) =>
      f.issuer.handle(
        new Request(`${ISSUER}/token`, {
          method: 'POST',
          headers: FORM,
          body: `grant_type=client_credentials&client_secret=${secret}`,
        }),
        { clientAddress },
      )
    for (let i = 0; i < 2; i++) await attempt('garbage', '10.0.0.1')
    expect((await attempt(key, '10.0.0.1')).status).toBe(429)
    expect((await attempt(key, '10.0.0.2')).status).toBe(200)
  })

  it("rate-limits per the server's client address unless clientAddress or trustProxy decide", async () => {
    const { f, key } = await withKey({ rateLimit: { maxFailures: 2, addressScale: 1 } })
    const attempt = (secret: string, clientAddress: string) =>
      f.issuer.respond({
        ...plain('/token', {
          method: 'POST',
          headers: FORM,
          body: () => `grant_type=client_credentials&client_secret=${secret}`,
        }),
        clientAddress,
      })
    for (let i = 0; i < 2; i++) await attempt('garbage', '10.0.0.1')
    expect((await attempt(key, '10.0.0.1')).status).toBe(429)
    expect((await attempt(key, '10.0.0.2')).status).toBe(200)
  })
})
