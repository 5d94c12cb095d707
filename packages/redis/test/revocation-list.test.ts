import { createAuth, createStaticJWKS } from '@keygate/core'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisRevocationList, type RedisEvent, type RedisRevocationList } from '../src/index.js'
import { connect, describeRedis, dropPrefix, type TestRedisClient, uniquePrefix, until } from './redis-env.js'

const prefix = uniquePrefix('revocation')
let client: TestRedisClient
let issuer: TestIssuer
const lists: RedisRevocationList[] = []

async function list(options: Partial<Parameters<typeof createRedisRevocationList>[0]> = {}) {
  const created = await createRedisRevocationList({ client, prefix, ...options })
  lists.push(created)
  return created
}

const nowS = () => Math.floor(Date.now() / 1000)

describeRedis('createRedisRevocationList on a real Redis', () => {
  beforeAll(async () => {
    client = await connect()
    issuer = await createTestIssuer({ algorithms: ['ES256'] })
  })
  afterAll(async () => {
    for (const created of lists) await created.close()
    await dropPrefix(client, prefix)
    await client.close()
    await issuer.close()
  })

  it('denies by jti, family, client and subject; only tokens issued up to the revocation for the last three', async () => {
    const revocation = await list()
    const iat = nowS() - 10
    const claims = (extra: Record<string, unknown>) => ({ iss: 'i', sub: 's0', jti: 'j0', iat, ...extra })
    const check = (extra: Record<string, unknown>) =>
      revocation.isRevoked({ claims: claims(extra), issuer: 'i' })
    expect(check({})).toBe(false)
    await revocation.revoke({ kind: 'jti', value: 'j1', ttl: '1h' })
    await revocation.revoke({ kind: 'family', value: 'sess-1', ttl: '1h' })
    await revocation.revoke({ kind: 'client', value: 'key-1', ttl: '1h' })
    await revocation.revoke({ kind: 'subject', value: 'user-1', expiresAt: Date.now() + 3_600_000 })
    expect(check({ jti: 'j1' })).toBe(true)
    expect(check({ sid: 'sess-1' })).toBe(true)
    expect(check({ client_id: 'key-1' })).toBe(true)
    expect(check({ sub: 'user-1' })).toBe(true)
    expect(check({ sub: 'user-2', client_id: 'key-2', sid: 'sess-2', jti: 'j2' })).toBe(false)
    // Issued after the revocation: a new login, a new session.
    expect(check({ sub: 'user-1', iat: nowS() + 5 })).toBe(false)
    // No iat: cannot show it came later, so it is revoked.
    expect(check({ sub: 'user-1', iat: undefined })).toBe(true)
    // A jti is revoked whenever it was issued.
    expect(check({ jti: 'j1', iat: nowS() + 5 })).toBe(true)
    expect(revocation.size).toBe(4)
  })

  it('claim names are configurable', async () => {
    const revocation = await list({ familyClaim: 'fam', clientClaim: 'azp' })
    await revocation.revoke({ kind: 'family', value: 'f-9', ttl: '1h' })
    await revocation.revoke({ kind: 'client', value: 'app-9', ttl: '1h' })
    expect(revocation.isRevoked({ claims: { fam: 'f-9', iat: 1 }, issuer: 'i' })).toBe(true)
    expect(revocation.isRevoked({ claims: { azp: 'app-9', iat: 1 }, issuer: 'i' })).toBe(true)
    expect(revocation.isRevoked({ claims: { sid: 'f-9', client_id: 'app-9', iat: 1 }, issuer: 'i' })).toBe(
      false,
    )
  })

  it('an entry expires with what it revokes (by the injected clock), in Redis too', async () => {
    const clock = Object.assign(() => clock.now, { now: Date.now() })
    const revocation = await list({ clock })
    await revocation.revoke({ kind: 'jti', value: 'short', ttl: '30s' })
    expect(revocation.isRevoked({ claims: { jti: 'short' }, issuer: 'i' })).toBe(true)
    clock.now += 30_000
    expect(revocation.isRevoked({ claims: { jti: 'short' }, issuer: 'i' })).toBe(false)
    // A later revoke cleans expired entries out of Redis.
    await revocation.revoke({ kind: 'jti', value: 'later', ttl: '1h' })
    expect(await client.hExists(`${prefix}revoked`, 'jti:short')).toBe(0)
    // Revoking what has already expired is a no-op.
    await revocation.revoke({ kind: 'jti', value: 'past', expiresAt: clock.now - 1 })
    expect(await client.hExists(`${prefix}revoked`, 'jti:past')).toBe(0)
  })

  it('another list on the same Redis gets a revocation through pub/sub, and a new one loads it at start', async () => {
    const events: RedisEvent[] = []
    const a = await list()
    const b = await list({ onEvent: (event) => events.push(event) })
    expect(events).toContainEqual(expect.objectContaining({ type: 'revocation_synced', reason: 'start' }))
    await a.revoke({ kind: 'subject', value: 'pubsub-user', ttl: '1h' })
    const token = { claims: { sub: 'pubsub-user', iat: nowS() - 1 }, issuer: 'i' }
    expect(await until(() => b.isRevoked(token), 2000)).toBe(true)
    expect(events).toContainEqual({ type: 'revocation_received', kind: 'subject' })
    const c = await list()
    expect(c.isRevoked(token)).toBe(true)
    // Another prefix is another tenant: it sees nothing.
    const other = await list({ prefix: `${prefix}other:` })
    expect(other.isRevoked(token)).toBe(false)
  })

  it('re-revoking never shortens an entry nor narrows it', async () => {
    const revocation = await list()
    await revocation.revoke({ kind: 'jti', value: 'twice', ttl: '2h' })
    await revocation.revoke({ kind: 'jti', value: 'twice', ttl: '1m' })
    const [expiresAt] = (await client.hGet(`${prefix}revoked`, 'jti:twice'))!.split(':').map(Number)
    expect(expiresAt).toBeGreaterThan(Date.now() + 3_600_000)
  })

  it('a foreign message on the channel is ignored and reported', async () => {
    const events: RedisEvent[] = []
    const revocation = await list({ onEvent: (event) => events.push(event) })
    const before = revocation.size
    await client.publish(`${prefix}revoked`, 'not a revocation')
    await client.publish(`${prefix}revoked`, '1:1\nunknown-kind:x')
    expect(
      await until(() => events.filter((e) => e.type === 'revocation_message_invalid').length === 2, 2000),
    ).toBe(true)
    expect(revocation.size).toBe(before)
  })

  it('createAuth({ revocation }): a revoked token is 401 ERR_TOKEN_REVOKED, also from the token cache', async () => {
    const revocation = await list()
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      source: createStaticJWKS(issuer.jwks()),
      tokenCache: { max: 100 },
      revocation,
    })
    const token = await issuer.sign({ sub: 'cached-user', jti: 'cached-jti' })
    const request = { headers: new Headers({ authorization: `Bearer ${token}` }) }
    expect((await auth.authenticate(request)).ok).toBe(true)
    expect(auth.cachedPrincipal(request)).toBeDefined()
    await revocation.revoke({ kind: 'jti', value: 'cached-jti', ttl: '1h' })
    const result = await auth.authenticate(request)
    expect(result.ok ? 200 : [result.error.status, result.error.code]).toEqual([401, 'ERR_TOKEN_REVOKED'])
    expect(auth.cachedPrincipal(request)).toBeUndefined()
  })

  it('version goes up with every entry gained, here or through pub/sub; a cached token is refused on the next hit', async () => {
    const here = await list()
    const there = await list()
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      source: createStaticJWKS(issuer.jwks()),
      tokenCache: { max: 100 },
      revocation: there,
    })
    const token = await issuer.sign({ sub: 'versioned-user', jti: 'versioned-jti' })
    const request = { headers: new Headers({ authorization: `Bearer ${token}` }) }
    expect((await auth.authenticate(request)).ok).toBe(true)
    expect(auth.cachedPrincipal(request)).toBeDefined()
    const before = { here: here.version, there: there.version }
    await here.revoke({ kind: 'jti', value: 'versioned-jti', ttl: '1h' })
    expect(here.version).toBeGreaterThan(before.here) // at once, in the list that revoked
    expect(await until(() => there.version > before.there)).toBe(true)
    // The other list learnt it: the very next cache hit is refused.
    expect(auth.cachedPrincipal(request)).toBeUndefined()
    const result = await auth.authenticate(request)
    expect(result.ok ? 'accepted' : result.error.code).toBe('ERR_TOKEN_REVOKED')
  })

  it('revoke checks its input, and rejects with 503 when Redis cannot store it', async () => {
    const revocation = await list()
    await expect(revocation.revoke({ kind: 'nope' as never, value: 'x', ttl: '1h' })).rejects.toThrow(
      TypeError,
    )
    await expect(revocation.revoke({ kind: 'jti', value: '', ttl: '1h' })).rejects.toThrow(TypeError)
    await expect(revocation.revoke({ kind: 'jti', value: 'x' } as never)).rejects.toThrow()
    const broken = await connect()
    const brokenList = await list({ client: broken })
    await broken.close()
    await expect(brokenList.revoke({ kind: 'jti', value: 'x', ttl: '1h' })).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      status: 503,
    })
  })

  it('start fails with 503 when Redis cannot be reached in time', async () => {
    const unreachable = await connect()
    await unreachable.close()
    await expect(
      createRedisRevocationList({
        client: unreachable,
        prefix,
        startTimeout: 300,
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
  })
})
