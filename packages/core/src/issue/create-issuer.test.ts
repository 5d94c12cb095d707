import { describe, expect, it } from 'vitest'
import { API_KEY_PREFIX, REFRESH_TOKEN_PREFIX } from './credential-format.js'
import { AUDIENCE, decodeJWT, ISSUER, setup } from './test-fixtures.js'

const MINUTE = 60_000

/** Every string anywhere in a value, for "no secret appears in …" checks. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (typeof value !== 'object' || value === null) return []
  return Object.values(value).flatMap(strings)
}

describe('issuer.createToken', () => {
  it('signs an RFC 9068 access token with the registered claims, scope and permissions', async () => {
    const f = setup()
    const result = await f.issuer.createToken({
      subject: 'user-1',
      permissions: ['read', 'write'],
      groups: ['admins'],
      claims: { tenant: 't-1' },
      clientId: 'app-1',
    })
    expect(result).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, scope: 'read write' })
    expect(result.refreshToken).toBeUndefined()
    const { header, payload } = decodeJWT(result.accessToken)
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' })
    expect(typeof header.kid).toBe('string')
    const now = Math.floor(f.clock.now / 1000)
    expect(payload).toMatchObject({
      iss: ISSUER,
      sub: 'user-1',
      aud: AUDIENCE,
      iat: now,
      nbf: now,
      exp: now + 900,
      scope: 'read write',
      permissions: ['read', 'write'],
      groups: ['admins'],
      tenant: 't-1',
      client_id: 'app-1',
    })
    expect(typeof payload.jti).toBe('string')
    const again = await f.issuer.createToken({ subject: 'user-1' })
    expect(decodeJWT(again.accessToken).payload.jti).not.toBe(payload.jti)
  })

  it.each(['sub', 'iss', 'aud', 'exp', 'scope', 'permissions', 'client_id'])(
    'refuses a custom claim named %s',
    async (name) => {
      const f = setup()
      await expect(f.issuer.createToken({ subject: 'u', claims: { [name]: 'x' } })).rejects.toMatchObject({
        code: 'ERR_INVALID_REQUEST',
      })
    },
  )

  it('validates its input', async () => {
    const f = setup()
    await expect(f.issuer.createToken({ subject: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_REQUEST' })
    await expect(f.issuer.createToken({ subject: 'u', permissions: ['has space'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
    // Longer than retireAfter: the token would outlive its key's publication.
    await expect(f.issuer.createToken({ subject: 'u', expiresIn: '3d' })).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
    await expect(f.issuer.createToken({ subject: 'u', expiresIn: 'soon' })).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
    await expect(f.issuer.createToken({ subject: 'u', claims: { big: 10n } })).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
  })

  it('honours audience and expiresIn overrides', async () => {
    const f = setup()
    const { accessToken, expiresIn } = await f.issuer.createToken({
      subject: 'u',
      audience: ['a', 'b'],
      expiresIn: '1h',
    })
    expect(expiresIn).toBe(3600)
    expect(decodeJWT(accessToken).payload.aud).toEqual(['a', 'b'])
  })

  it('issues a refresh token carrying the same subject, permissions, groups and claims', async () => {
    const f = setup()
    const first = await f.issuer.createToken({
      subject: 'user-1',
      permissions: ['read'],
      groups: ['g'],
      claims: { tenant: 't' },
      refresh: { data: { device: 'laptop' } },
    })
    expect(first.refreshToken?.startsWith(`${REFRESH_TOKEN_PREFIX}_`)).toBe(true)
    f.clock.advance(20 * MINUTE)
    const next = await f.issuer.refresh(first.refreshToken!)
    expect(decodeJWT(next.accessToken).payload).toMatchObject({
      sub: 'user-1',
      permissions: ['read'],
      groups: ['g'],
      tenant: 't',
    })
    expect(next.refreshToken).not.toBe(first.refreshToken)
  })
})

describe('onRefresh', () => {
  it('sees the stored data and can refuse or update what the next access token carries', async () => {
    const seen: unknown[] = []
    let answer: false | undefined | { permissions: string[]; claims: Record<string, unknown> }
    const f = setup({
      onRefresh: async (input) => {
        seen.push(input)
        return answer
      },
    })
    const first = await f.issuer.createToken({
      subject: 'user-1',
      permissions: ['read'],
      claims: { plan: 'free' },
      refresh: { data: { userId: 42 } },
    })
    answer = { permissions: ['read', 'write'], claims: { plan: 'pro' } }
    const upgraded = await f.issuer.refresh(first.refreshToken!)
    expect(seen[0]).toMatchObject({
      subject: 'user-1',
      apiKeyId: null,
      data: { userId: 42 },
      claims: { plan: 'free' },
    })
    expect(decodeJWT(upgraded.accessToken).payload).toMatchObject({
      permissions: ['read', 'write'],
      plan: 'pro',
    })
    answer = { permissions: ['read'], claims: { sub: 'someone-else' } }
    await expect(f.issuer.refresh(upgraded.refreshToken!)).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
    answer = false
    await expect(f.issuer.refresh(upgraded.refreshToken!)).rejects.toMatchObject({
      code: 'ERR_INVALID_GRANT',
    })
    // Refused requests did not spend the token.
    answer = undefined
    await expect(f.issuer.refresh(upgraded.refreshToken!)).resolves.toMatchObject({ tokenType: 'Bearer' })
  })

  it('cannot widen an API key chain beyond the key', async () => {
    const f = setup({ onRefresh: () => ({ permissions: ['read', 'admin'] }) })
    const { key } = await f.issuer.apiKeys.create({ subject: 's', name: 'n', permissions: ['read'] })
    const tokens = await (
      await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    ).json()
    const refreshed = await f.issuer.refresh(tokens.refresh_token, { apiKey: key })
    expect(refreshed.scope).toBe('read')
  })
})

describe('issuer.apiKeys', () => {
  it('creates a kg_ key shown once, stores only its hash, lists without secrets', async () => {
    const f = setup()
    const created = await f.issuer.apiKeys.create({
      subject: 'svc-a',
      name: 'deploy',
      permissions: ['deploy'],
      metadata: { team: 'infra' },
    })
    expect(created.key).toMatch(new RegExp(`^${API_KEY_PREFIX}_${created.id}_[0-9A-Za-z]{49}$`))
    const stored = await f.store.getAPIKey(created.id)
    expect(JSON.stringify(stored)).not.toContain(created.key)
    expect(JSON.stringify(stored)).not.toContain(created.key.slice(20, 60))
    expect(created.record).toMatchObject({
      id: created.id,
      subject: 'svc-a',
      name: 'deploy',
      lastUsedAt: null,
    })
    await f.issuer.apiKeys.create({ subject: 'svc-b', name: 'other' })
    const listed = await f.issuer.apiKeys.list({ subject: 'svc-a' })
    expect(listed.map((k) => k.id)).toEqual([created.id])
    expect(listed[0]).not.toHaveProperty('keyHash')
    expect(await f.issuer.apiKeys.list()).toHaveLength(2)
    expect(JSON.stringify(await f.issuer.apiKeys.list())).not.toContain(stored!.keyHash)
    expect(await f.issuer.apiKeys.get(created.id)).toEqual(created.record)
  })

  it('two keys never collide (server-generated, high entropy)', async () => {
    const f = setup()
    const keys = await Promise.all(
      Array.from({ length: 50 }, () => f.issuer.apiKeys.create({ subject: 's', name: 'n' })),
    )
    expect(new Set(keys.map((k) => k.key)).size).toBe(50)
    expect(new Set(keys.map((k) => k.id)).size).toBe(50)
  })

  it('revoke returns false for unknown ids and revokes the refresh tokens of the key', async () => {
    const f = setup()
    const { id } = await f.issuer.apiKeys.create({ subject: 's', name: 'n' })
    expect(await f.issuer.apiKeys.revoke('nope')).toBe(false)
    expect(await f.issuer.apiKeys.revoke(id)).toBe(true)
    expect((await f.issuer.apiKeys.get(id))?.revokedAt).toBe(new Date(f.clock.now).toISOString())
    expect(f.events.find((e) => e.type === 'key_revoked')).toMatchObject({ keyId: id, subject: 's' })
  })

  it('rejects bad input', async () => {
    const f = setup()
    await expect(f.issuer.apiKeys.create({ subject: 's', name: '' })).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
    await expect(
      f.issuer.apiKeys.create({ subject: 's', name: 'n', expiresIn: '-1d' }),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
    await expect(
      f.issuer.apiKeys.create({ subject: 's', name: 'n', permissions: 'read' as unknown as string[] }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_REQUEST' })
  })
})

describe('refresh tokens', () => {
  async function withKey(overrides: Parameters<typeof setup>[0] = {}) {
    const f = setup(overrides)
    const { id, key } = await f.issuer.apiKeys.create({
      subject: 'svc',
      name: 'n',
      permissions: ['read', 'write'],
    })
    // The key authenticates every refresh (RFC 6749 §6), as a client holding it would.
    const grant = async (form: Record<string, string>) => {
      const authenticated = form.grant_type === 'refresh_token' ? { client_secret: key, ...form } : form
      const response = await f.post('/token', authenticated)
      return { status: response.status, body: await response.json() }
    }
    const first = await grant({ grant_type: 'client_credentials', client_secret: key })
    expect(first.status).toBe(200)
    return { f, id, key, grant, refreshToken: first.body.refresh_token as string }
  }

  it('rotation: a replay within the grace window returns the same successor', async () => {
    const { f, grant, refreshToken } = await withKey()
    const a = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    f.clock.advance(10_000)
    const b = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    expect(b.body.refresh_token).toBe(a.body.refresh_token)
    expect(b.body.access_token).not.toBe(a.body.access_token)
    // The successor works and rotates on.
    const c = await grant({ grant_type: 'refresh_token', refresh_token: a.body.refresh_token })
    expect(c.status).toBe(200)
    expect(f.events.some((e) => e.type === 'refresh_reuse')).toBe(false)
  })

  it('rotation: concurrent uses of one token get the same successor', async () => {
    const { grant, refreshToken } = await withKey()
    const results = await Promise.all(
      Array.from({ length: 5 }, () => grant({ grant_type: 'refresh_token', refresh_token: refreshToken })),
    )
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(1)
  })

  it('rotation: reuse after the grace window revokes the whole family and emits refresh_reuse', async () => {
    const { f, id, grant, refreshToken } = await withKey({ refreshRotation: { graceWindow: '30s' } })
    const a = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    const b = await grant({ grant_type: 'refresh_token', refresh_token: a.body.refresh_token })
    f.clock.advance(31_000)
    const reuse = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    expect(reuse.status).toBe(400)
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' })
    expect(JSON.stringify(reuse.body)).not.toContain(refreshToken.split('_')[2])
    // The newest member of the family is dead too.
    const latest = await grant({ grant_type: 'refresh_token', refresh_token: b.body.refresh_token })
    expect(latest.status).toBe(400)
    const event = f.events.find((e) => e.type === 'refresh_reuse')
    expect(event).toMatchObject({ subject: 'svc', keyId: id })
    expect(JSON.stringify(event)).not.toContain(refreshToken)
  })

  it('a revoked API key ends its refresh tokens', async () => {
    const { f, id, grant, refreshToken } = await withKey()
    await f.issuer.apiKeys.revoke(id)
    const result = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    // The key no longer authenticates, so neither does the refresh it must accompany.
    expect(result.status).toBe(401)
    expect(result.body.error).toBe('invalid_client')
  })

  it('an expired API key ends its refresh tokens and its client_credentials', async () => {
    const f = setup()
    const { key } = await f.issuer.apiKeys.create({ subject: 's', name: 'n', expiresIn: '1h' })
    const first = await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    const { refresh_token } = await first.json()
    f.clock.advance(61 * MINUTE)
    const refreshed = await f.post('/token', {
      grant_type: 'refresh_token',
      refresh_token,
      client_secret: key,
    })
    expect(refreshed.status).toBe(401)
    expect((await refreshed.json()).error).toBe('invalid_client')
    const again = await f.post('/token', { grant_type: 'client_credentials', client_secret: key })
    expect(again.status).toBe(401)
    expect((await again.json()).error).toBe('invalid_client')
  })

  it('refresh tokens expire after refreshTokenTtl', async () => {
    const { f, grant, refreshToken } = await withKey({ refreshTokenTtl: '1h' })
    f.clock.advance(61 * MINUTE)
    expect((await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })).status).toBe(400)
  })

  it('without rotation the token is reusable and no new one is issued', async () => {
    const { grant, refreshToken } = await withKey({ refreshRotation: { enabled: false } })
    const a = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    const b = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    expect([a.status, b.status]).toEqual([200, 200])
    expect(a.body.refresh_token).toBeUndefined()
  })

  it('a token rotated while rotation was on stays spent after rotation is turned off', async () => {
    const { f, grant, refreshToken } = await withKey()
    await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    const without = setup({ refreshRotation: { enabled: false } }, f.store)
    without.clock.now = f.clock.now
    const response = await without.post('/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    })
    expect(response.status).toBe(400)
    expect((await response.json()).error).toBe('invalid_grant')
  })

  it('down-scoping on refresh must stay within the original scope', async () => {
    const { grant, refreshToken } = await withKey()
    const narrow = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'read' })
    expect(narrow.body.scope).toBe('read')
    const wide = await grant({
      grant_type: 'refresh_token',
      refresh_token: narrow.body.refresh_token,
      scope: 'admin',
    })
    expect(wide.status).toBe(400)
    expect(wide.body.error).toBe('invalid_scope')
  })

  it('a refresh token is bound to its API key: another client cannot use it', async () => {
    const { f, grant, refreshToken } = await withKey()
    const other = await f.issuer.apiKeys.create({ subject: 'other', name: 'n' })
    const result = await grant({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_secret: other.key,
    })
    expect(result.status).toBe(400)
    expect(result.body.error).toBe('invalid_grant')
  })

  it('revokeRefreshToken revokes the family and ignores unknown tokens', async () => {
    const { f, grant, refreshToken } = await withKey()
    await f.issuer.revokeRefreshToken('kgr_garbage')
    await f.issuer.revokeRefreshToken(refreshToken)
    expect((await grant({ grant_type: 'refresh_token', refresh_token: refreshToken })).status).toBe(400)
  })
})

describe('events', () => {
  it('cover the lifecycle and never carry keys, tokens or hashes', async () => {
    const f = setup()
    const { id, key } = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n', permissions: ['read'] })
    const ok = await (await f.post('/token', { grant_type: 'client_credentials', client_secret: key })).json()
    await f.post('/token', { grant_type: 'client_credentials', client_secret: `${key.slice(0, -8)}AAAAAAAA` })
    await f.post('/token', { grant_type: 'refresh_token', refresh_token: ok.refresh_token })
    await f.issuer.apiKeys.revoke(id)
    const types = new Set(f.events.map((e) => e.type))
    for (const t of ['key_created', 'key_used', 'token_issued', 'key_revoked', 'auth_failed'])
      expect(types).toContain(t)
    const secrets = [
      key,
      key.split('_')[2]!,
      ok.access_token,
      ok.refresh_token,
      (await f.store.getAPIKey(id))!.keyHash,
    ]
    for (const s of strings(f.events)) for (const secret of secrets) expect(s.includes(secret)).toBe(false)
  })

  it('a throwing onEvent hook does not break issuing', async () => {
    const f = setup({
      onEvent: () => {
        throw new Error('hook failed')
      },
    })
    await expect(f.issuer.createToken({ subject: 'u' })).resolves.toMatchObject({ tokenType: 'Bearer' })
  })
})

describe('housekeeping', () => {
  it('sweeps expired refresh tokens from the store while issuing, at most hourly', async () => {
    const f = setup({ refreshTokenTtl: '1h' })
    const { refreshToken } = await f.issuer.createToken({ subject: 'u', refresh: true })
    const id = refreshToken!.split('_')[1]!
    expect(await f.store.getRefreshToken(id)).toBeDefined()
    f.clock.advance(2 * 3_600_000)
    await f.issuer.createToken({ subject: 'u' })
    await new Promise((resolve) => setImmediate(resolve))
    expect(await f.store.getRefreshToken(id)).toBeUndefined()
    const sweeps = f.store.calls.deleteExpiredRefreshTokens
    await f.issuer.createToken({ subject: 'u' })
    expect(f.store.calls.deleteExpiredRefreshTokens).toBe(sweeps)
  })
})
