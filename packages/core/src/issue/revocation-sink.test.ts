import { describe, expect, it } from 'vitest'
import { createSessions } from '../session/create-sessions.js'
import type { SessionRequest } from '../session/types.js'
import { createAuth } from '../verify/create-auth.js'
import type { RevocationCheck } from '../verify/revocation.js'
import { type IssuerRevocation, REVOCATION_MARGIN_MS } from './revocation-sink.js'
import { AUDIENCE, basic, decodeJWT, ISSUER, setup, T0 } from './test-fixtures.js'

const MINUTE = 60_000
const ACCESS_TTL_MS = 15 * MINUTE
// createToken may sign up to signing.retireAfter (2 d) − 1 min: a createToken family's entry lasts that long.
const DIRECT_MAX_MS = 2 * 24 * 60 * MINUTE - MINUTE

/**
 * A revocation list in memory: the issuer's sink and a verifier's source in one, as
 * `createRedisRevocationList` is (without Redis). `fail` makes the sink reject, as an outage would.
 */
function memoryList() {
  const received: IssuerRevocation[] = []
  const family = new Set<string>()
  const client = new Set<string>()
  const list = {
    received,
    fail: false,
    async revoke(revocation: IssuerRevocation) {
      if (list.fail) throw new Error('sink down')
      received.push(revocation)
      ;(revocation.kind === 'family' ? family : client).add(revocation.value)
    },
    isRevoked({ claims }: RevocationCheck) {
      return (
        (typeof claims.sid === 'string' && family.has(claims.sid)) ||
        (typeof claims.client_id === 'string' && client.has(claims.client_id))
      )
    },
  }
  return list
}

function withList() {
  const list = memoryList()
  const f = setup({ revocations: list })
  const auth = createAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    source: f.issuer.keySource(),
    algorithms: ['EdDSA'],
    clock: () => f.clock.now,
    revocation: list,
    tokenCache: {},
  })
  const verify = (token: string) =>
    auth.verify(token).then(
      () => 'ok',
      (error: { code: string }) => error.code,
    )
  return { f, list, verify }
}

describe('sid: the refresh-token family in the access token', () => {
  it('createToken with a refresh token carries the family id as sid; without one, no sid', async () => {
    const f = setup()
    const withRefresh = await f.issuer.createToken({ subject: 'alice', refresh: true })
    const without = await f.issuer.createToken({ subject: 'alice' })
    const sid = decodeJWT(withRefresh.accessToken).payload.sid
    expect(typeof sid).toBe('string')
    expect(decodeJWT(without.accessToken).payload).not.toHaveProperty('sid')
    // The family id the issuer reports, and not anything of the refresh token's secret part.
    await f.issuer.revokeRefreshToken(withRefresh.refreshToken!)
    const revoked = f.events.find((e) => e.type === 'refresh_revoked')
    expect(revoked).toMatchObject({ familyId: sid })
    expect(withRefresh.refreshToken!.split('_')[2]).not.toContain(sid as string)
  })

  it('every refresh keeps the family sid; client_credentials with refresh carries one, without none', async () => {
    const f = setup()
    const first = await f.issuer.createToken({ subject: 'alice', refresh: true })
    const sid = decodeJWT(first.accessToken).payload.sid
    const second = await f.issuer.refresh(first.refreshToken!)
    const third = await f.issuer.refresh(second.refreshToken!)
    expect(decodeJWT(second.accessToken).payload.sid).toBe(sid)
    expect(decodeJWT(third.accessToken).payload.sid).toBe(sid)

    const { id, key } = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n' })
    const body = await (
      await f.post('/token', { grant_type: 'client_credentials' }, { authorization: basic(id, key) })
    ).json()
    expect(decodeJWT(body.access_token).payload).toMatchObject({ client_id: id, sid: expect.any(String) })
    expect(decodeJWT(body.access_token).payload.sid).not.toBe(sid)

    const noRefresh = setup({ refreshTokens: false })
    const k = await noRefresh.issuer.apiKeys.create({ subject: 'svc', name: 'n' })
    const plain = await (
      await noRefresh.post(
        '/token',
        { grant_type: 'client_credentials' },
        { authorization: basic(k.id, k.key) },
      )
    ).json()
    expect(plain.refresh_token).toBeUndefined()
    expect(decodeJWT(plain.access_token).payload).not.toHaveProperty('sid')
  })

  it('sid is the issuer’s: custom claims and onRefresh cannot set it', async () => {
    const f = setup({ onRefresh: () => ({ claims: { sid: 'forged' } }) })
    await expect(f.issuer.createToken({ subject: 'a', claims: { sid: 'forged' } })).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
    const tokens = await f.issuer.createToken({ subject: 'a', refresh: true })
    await expect(f.issuer.refresh(tokens.refreshToken!)).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    })
  })
})

describe('revocations: the issuer publishes what verifiers must refuse', () => {
  it('revokeRefreshToken: the family’s live access tokens are refused by the verifier', async () => {
    const { f, list, verify } = withList()
    const first = await f.issuer.createToken({ subject: 'alice', refresh: true })
    const second = await f.issuer.refresh(first.refreshToken!)
    const other = await f.issuer.createToken({ subject: 'alice', refresh: true })
    expect(await verify(first.accessToken)).toBe('ok')
    expect(await verify(second.accessToken)).toBe('ok') // now in the verifier's token cache
    f.clock.advance(1000)
    await f.issuer.revokeRefreshToken(second.refreshToken!)
    const sid = decodeJWT(first.accessToken).payload.sid
    expect(list.received).toEqual([
      { kind: 'family', value: sid, expiresAt: f.clock.now + DIRECT_MAX_MS + REVOCATION_MARGIN_MS },
    ])
    expect(await verify(first.accessToken)).toBe('ERR_TOKEN_REVOKED')
    expect(await verify(second.accessToken)).toBe('ERR_TOKEN_REVOKED')
    expect(await verify(other.accessToken)).toBe('ok') // another family (another login)
  })

  it('POST /revoke of a client’s refresh token: family entry for an access-token lifetime', async () => {
    const { f, list, verify } = withList()
    const { id, key } = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n' })
    const auth = { authorization: basic(id, key) }
    const body = await (await f.post('/token', { grant_type: 'client_credentials' }, auth)).json()
    expect(await verify(body.access_token)).toBe('ok')
    expect((await f.post('/revoke', { token: body.refresh_token }, auth)).status).toBe(200)
    expect(list.received).toEqual([
      {
        kind: 'family',
        value: decodeJWT(body.access_token).payload.sid,
        expiresAt: f.clock.now + ACCESS_TTL_MS + REVOCATION_MARGIN_MS,
      },
    ])
    expect(await verify(body.access_token)).toBe('ERR_TOKEN_REVOKED')
  })

  it('refresh-token reuse after the grace window revokes the family for verifiers too', async () => {
    const { f, list, verify } = withList()
    const first = await f.issuer.createToken({ subject: 'alice', refresh: true })
    const second = await f.issuer.refresh(first.refreshToken!)
    expect(await verify(second.accessToken)).toBe('ok')
    f.clock.advance(MINUTE) // past the 30 s grace window
    await expect(f.issuer.refresh(first.refreshToken!)).rejects.toMatchObject({ code: 'ERR_INVALID_GRANT' })
    expect(f.events.some((e) => e.type === 'refresh_reuse')).toBe(true)
    expect(list.received).toMatchObject([{ kind: 'family', value: decodeJWT(first.accessToken).payload.sid }])
    expect(await verify(second.accessToken)).toBe('ERR_TOKEN_REVOKED')
  })

  it('revoking an API key refuses the access tokens it obtained (client_id)', async () => {
    const { f, list, verify } = withList()
    const { id, key } = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n' })
    const body = await (
      await f.post('/token', { grant_type: 'client_credentials' }, { authorization: basic(id, key) })
    ).json()
    expect(await verify(body.access_token)).toBe('ok')
    expect(await f.issuer.apiKeys.revoke(id)).toBe(true)
    expect(list.received).toEqual([
      { kind: 'client', value: id, expiresAt: f.clock.now + ACCESS_TTL_MS + REVOCATION_MARGIN_MS },
    ])
    expect(await verify(body.access_token)).toBe('ERR_TOKEN_REVOKED')
  })

  it('session logout revokes the session’s access token for verifiers', async () => {
    const { f, list, verify } = withList()
    const sessions = createSessions({ issuer: f.issuer, allowedOrigins: ['https://app.example'] })
    const request = (headers: Record<string, string>): SessionRequest => ({
      method: 'POST',
      url: '/auth/session/logout',
      headers: new Headers({ origin: 'https://app.example', 'x-requested-with': 'fetch', ...headers }),
    })
    const login = await sessions.login(request({}), { subject: 'alice' })
    const accessToken = JSON.parse(login.body ?? '').access_token as string
    expect(await verify(accessToken)).toBe('ok')
    const cookie = login.cookies[0]!.split(';')[0]!
    expect((await sessions.respond(request({ cookie }))).status).toBe(204)
    expect(list.received).toMatchObject([{ kind: 'family', value: decodeJWT(accessToken).payload.sid }])
    expect(await verify(accessToken)).toBe('ERR_TOKEN_REVOKED')
  })

  it('a failing sink: /revoke answers 503 and revokes nothing, so a retry does both', async () => {
    const { f, list, verify } = withList()
    const tokens = await f.issuer.createToken({ subject: 'alice', refresh: true })
    list.fail = true
    const response = await f.post('/revoke', { token: tokens.refreshToken! })
    expect(response.status).toBe(503)
    expect(f.events).toContainEqual({
      type: 'revocation_publish_failed',
      kind: 'family',
      value: decodeJWT(tokens.accessToken).payload.sid,
      at: T0,
    })
    expect(await verify(tokens.accessToken)).toBe('ok')
    // Not revoked in the store either: the refresh token still works.
    const refreshed = await f.issuer.refresh(tokens.refreshToken!)
    list.fail = false
    expect((await f.post('/revoke', { token: refreshed.refreshToken! })).status).toBe(200)
    expect(await verify(tokens.accessToken)).toBe('ERR_TOKEN_REVOKED')
    await expect(f.issuer.refresh(refreshed.refreshToken!)).rejects.toMatchObject({
      code: 'ERR_INVALID_GRANT',
    })
  })

  it('a failing sink on API-key revocation: 503 from the admin route, and revoking again publishes', async () => {
    const { f, list, verify } = withList()
    const { id, key } = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n' })
    const body = await (
      await f.post('/token', { grant_type: 'client_credentials' }, { authorization: basic(id, key) })
    ).json()
    list.fail = true
    await expect(f.issuer.apiKeys.revoke(id)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      status: 503,
    })
    expect(await verify(body.access_token)).toBe('ok')
    list.fail = false
    expect(await f.issuer.apiKeys.revoke(id)).toBe(true)
    expect(await verify(body.access_token)).toBe('ERR_TOKEN_REVOKED')
  })

  it('reuse detection with a failing sink still refuses the refresh and reports the failure', async () => {
    const { f, list } = withList()
    const first = await f.issuer.createToken({ subject: 'alice', refresh: true })
    const second = await f.issuer.refresh(first.refreshToken!)
    f.clock.advance(MINUTE)
    list.fail = true
    await expect(f.issuer.refresh(first.refreshToken!)).rejects.toMatchObject({ code: 'ERR_INVALID_GRANT' })
    await expect(f.issuer.refresh(second.refreshToken!)).rejects.toMatchObject({ code: 'ERR_INVALID_GRANT' })
    expect(f.events.map((e) => e.type)).toContain('revocation_publish_failed')
  })

  it('checks the option at construction', () => {
    expect(() => setup({ revocations: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })
})
