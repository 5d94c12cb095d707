import { createAuth, createIssuer, createMemoryIssuerStore } from '@keygate/core'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  createRedisKeyStore,
  createRedisRateLimiter,
  createRedisRevocationList,
  type RedisEvent,
  type RedisRevocationList,
} from '../src/index.js'
import {
  connect,
  describeRedis,
  dropPrefix,
  REDIS_URL,
  type TestRedisClient,
  uniquePrefix,
  until,
} from './redis-env.js'
import { startTCPProxy, type TCPProxy } from './tcp-proxy.js'

const prefix = uniquePrefix('outage')
let direct: TestRedisClient
let proxied: TestRedisClient
let proxy: TCPProxy
let issuer: TestIssuer
let revocation: RedisRevocationList
const events: RedisEvent[] = []
const onEvent = (event: RedisEvent) => events.push(event)
const bearer = (token: string) => ({ headers: new Headers({ authorization: `Bearer ${token}` }) })

describeRedis('Redis cut mid-run (a TCP proxy that breaks and comes back)', () => {
  beforeAll(async () => {
    direct = await connect()
    proxy = await startTCPProxy(REDIS_URL!)
    // Reconnect quickly, so the test's bounded polls see the recovery.
    proxied = await connect(proxy.url, { socket: { reconnectStrategy: () => 50, connectTimeout: 1000 } })
    issuer = await createTestIssuer({ algorithms: ['ES256'] })
    await issuer.listen()
    revocation = await createRedisRevocationList({ client: proxied, prefix, onEvent })
  })
  afterAll(async () => {
    await revocation?.close()
    await proxied?.close().catch(() => {})
    await proxy?.close()
    await dropPrefix(direct, prefix)
    await direct.close()
    await issuer?.close()
  })

  it('verification keeps working, the limiter fails closed (or open), every fallback is an event, and all recovers', async () => {
    const jwksUri = `${issuer.issuer}/.well-known/jwks.json`
    const verifier = () =>
      createAuth({
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: ['ES256'],
        jwksUri,
        jwks: { store: createRedisKeyStore({ client: proxied, prefix, onEvent }) },
        revocation,
      })
    const auth = verifier()
    const strict = createRedisRateLimiter({ client: proxied, prefix, maxFailures: 5, window: '1m', onEvent })
    const lenient = createRedisRateLimiter({
      client: proxied,
      prefix,
      maxFailures: 5,
      window: '1m',
      failOpen: true,
      onEvent,
    })
    const tokenIssuer = createIssuer({
      issuer: 'https://auth.example',
      audience: 'https://api.example',
      store: createMemoryIssuerStore(),
      encryptionKey: 'test-encryption-key-0123456789abcdef-0123456789',
      rateLimit: { limiter: strict },
    })
    const { key } = await tokenIssuer.apiKeys.create({ subject: 'svc', name: 'svc' })
    const postToken = () =>
      tokenIssuer.handle(
        new Request('https://auth.example/token', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }).toString(),
        }),
      )

    const before = await issuer.sign({ sub: 'before', jti: 'outage-before' })
    expect((await auth.authenticate(bearer(before))).ok).toBe(true)
    expect(await strict.check('k')).toBe(0)
    expect((await postToken()).status).toBe(200)

    proxy.cut()
    expect(await until(() => !proxied.isReady)).toBe(true)
    expect(await until(() => events.some((event) => event.type === 'revocation_disconnected'))).toBe(true)

    // Verification: from the in-process JWKS copy and the local revocation copy, no Redis needed.
    for (let i = 0; i < 5; i++) {
      expect((await auth.authenticate(bearer(await issuer.sign({ sub: `during-${i}` })))).ok).toBe(true)
    }
    // A process starting now: the shared copy is out of reach, so it fetches for itself (and says so).
    const cold = verifier()
    expect((await cold.authenticate(bearer(before))).ok).toBe(true)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'command_failed', part: 'key-store', fallback: 'miss' }),
    )
    cold.close()

    // The limiter: closed by default (the issuer answers 503 + Retry-After), open when configured.
    await expect(strict.check('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 })
    const refused = await postToken()
    expect(refused.status).toBe(503)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await lenient.check('k')).toBe(0)
    expect(events).toContainEqual({ type: 'limiter_unavailable', operation: 'check', failOpen: false })
    expect(events).toContainEqual({ type: 'limiter_unavailable', operation: 'check', failOpen: true })

    // Revoked elsewhere while this process cannot hear it…
    const victim = await issuer.sign({ sub: 'victim', jti: 'outage-victim' })
    expect((await auth.authenticate(bearer(victim))).ok).toBe(true)
    const elsewhere = await createRedisRevocationList({ client: direct, prefix })
    await elsewhere.revoke({ kind: 'jti', value: 'outage-victim', ttl: '1h' })
    await elsewhere.close()

    proxy.restore()
    expect(await until(() => proxied.isReady, 10_000)).toBe(true)
    // …and caught up by the resync after the reconnect.
    expect(
      await until(
        () => revocation.isRevoked({ claims: { jti: 'outage-victim' }, issuer: issuer.issuer }),
        10_000,
      ),
    ).toBe(true)
    expect(events).toContainEqual(expect.objectContaining({ type: 'revocation_synced', reason: 'reconnect' }))
    const result = await auth.authenticate(bearer(victim))
    expect(result.ok ? 'accepted' : result.error.code).toBe('ERR_TOKEN_REVOKED')
    // The limiter is consulted again; the issuer answers tokens again.
    expect(await strict.check('k')).toBe(0)
    expect((await postToken()).status).toBe(200)
    // Pub/sub works again too: a revocation from another process arrives.
    const again = await createRedisRevocationList({ client: direct, prefix })
    await again.revoke({ kind: 'subject', value: 'after', ttl: '1h' })
    await again.close()
    expect(await until(() => revocation.isRevoked({ claims: { sub: 'after' }, issuer: issuer.issuer }))).toBe(
      true,
    )
    auth.close()
  })
})
