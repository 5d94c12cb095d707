import { createIssuer, createMemoryIssuerStore } from '@keygate/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisRateLimiter, type RedisEvent } from '../src/index.js'
import { connect, describeRedis, dropPrefix, type TestRedisClient, uniquePrefix } from './redis-env.js'

const prefix = uniquePrefix('rate-limiter')
let client: TestRedisClient

function manualClock(start = 1_800_000_000_000) {
  const clock = Object.assign(() => clock.now, { now: start })
  return clock
}

describeRedis('createRedisRateLimiter on a real Redis', () => {
  beforeAll(async () => {
    client = await connect()
  })
  afterAll(async () => {
    await dropPrefix(client, prefix)
    await client.close()
  })

  it('counts failures per key in a sliding window and answers the seconds to wait', async () => {
    const clock = manualClock()
    const limiter = createRedisRateLimiter({ client, prefix, maxFailures: 3, window: '60s', clock })
    expect(await limiter.check('address:a')).toBe(0)
    expect(await limiter.fail('address:a')).toBe(0)
    clock.now += 10_000
    expect(await limiter.fail('address:a')).toBe(0)
    clock.now += 10_000
    // The third failure in the window exhausts it: wait until the first leaves (40 s from now).
    expect(await limiter.fail('address:a')).toBe(40)
    expect(await limiter.check('address:a')).toBe(40)
    // Other keys, including composite ones, are counted apart.
    expect(await limiter.check('address:b')).toBe(0)
    expect(await limiter.check('address:a|key:k1')).toBe(0)
    // Sliding: once the first failure leaves the window, one more attempt is allowed…
    clock.now += 40_000
    expect(await limiter.check('address:a')).toBe(0)
    // …and a new failure exhausts it again until the second one leaves.
    expect(await limiter.fail('address:a')).toBe(10)
    clock.now += 10_000
    expect(await limiter.check('address:a')).toBe(0)
  })

  it('keeps at most maxFailures entries per key, whatever the flood', async () => {
    const clock = manualClock()
    const limiter = createRedisRateLimiter({ client, prefix, maxFailures: 5, window: '1m', clock })
    for (let i = 0; i < 50; i++) await limiter.fail('flood')
    expect(await client.zCard(`${prefix}rate:flood`)).toBe(5)
    expect(await limiter.check('flood')).toBe(60)
    const ttl = await client.pTTL(`${prefix}rate:flood`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it("without a clock, the Redis server's TIME is the one clock of every process", async () => {
    const a = createRedisRateLimiter({ client, prefix, maxFailures: 2, window: '10m' })
    const b = createRedisRateLimiter({ client, prefix, maxFailures: 2, window: '10m' })
    expect(await a.fail('shared')).toBe(0)
    const wait = await b.fail('shared')
    expect(wait).toBeGreaterThan(590)
    expect(wait).toBeLessThanOrEqual(600)
    expect(await a.check('shared')).toBeGreaterThan(0)
  })

  it('scales the budget per key when asked (the issuer gives an address addressScale × maxFailures)', async () => {
    const clock = () => 1_000_000
    const limiter = createRedisRateLimiter({ client, prefix, maxFailures: 2, window: '1m', clock })
    for (let i = 0; i < 5; i++) expect(await limiter.fail('address:192.0.2.1', 3)).toBe(0)
    expect(await limiter.check('address:192.0.2.1', 3)).toBe(0)
    expect(await limiter.fail('address:192.0.2.1', 3)).toBe(60)
    expect(await limiter.check('address:192.0.2.1', 3)).toBe(60)
    // The same key asked without a scale has the base budget, long spent.
    expect(await limiter.check('address:192.0.2.1')).toBe(60)
  })

  it("two issuers (processes) on one Redis enforce one limit: the issuer's 429 with Retry-After", async () => {
    const store = createMemoryIssuerStore()
    const issuers = [0, 1].map(() =>
      createIssuer({
        issuer: 'https://auth.example',
        audience: 'https://api.example',
        store,
        encryptionKey: 'test-encryption-key-0123456789abcdef-0123456789',
        // Every attempt from one client address: failures count against it, whatever the key.
        clientAddress: () => '192.0.2.7',
        rateLimit: {
          addressScale: 1,
          limiter: createRedisRateLimiter({
            client,
            prefix: `${prefix}issuer:`,
            maxFailures: 4,
            window: '5m',
          }),
        },
      }),
    )
    const { key } = await issuers[0]!.apiKeys.create({ subject: 'svc', name: 'svc' })
    const wrong = `${key.slice(0, -8)}AAAAAAAA`
    const post = (index: number, secret: string) =>
      issuers[index]!.handle(
        new Request('https://auth.example/token', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: secret }).toString(),
        }),
      )
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await post(i % 2, wrong)).status)
    expect(statuses).toEqual([401, 401, 401, 401])
    const limited = await post(0, key)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await post(1, key)).status).toBe(429)
  })

  it('Redis unreachable: fails closed (503 StoreUnavailableError) by default, open when configured; events either way', async () => {
    const closed = await connect()
    await closed.close()
    const events: RedisEvent[] = []
    const onEvent = (event: RedisEvent) => events.push(event)
    const strict = createRedisRateLimiter({ client: closed, prefix, maxFailures: 3, window: '1m', onEvent })
    await expect(strict.check('k')).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      status: 503,
      retryAfter: 5,
    })
    await expect(strict.fail('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    const open = createRedisRateLimiter({
      client: closed,
      prefix,
      maxFailures: 3,
      window: '1m',
      failOpen: true,
      onEvent,
    })
    expect(await open.check('k')).toBe(0)
    expect(events.filter((event) => event.type === 'limiter_unavailable')).toEqual([
      { type: 'limiter_unavailable', operation: 'check', failOpen: false },
      { type: 'limiter_unavailable', operation: 'fail', failOpen: false },
      { type: 'limiter_unavailable', operation: 'check', failOpen: true },
    ])
  })

  it('rejects bad options at construction', () => {
    expect(() => createRedisRateLimiter({ client, maxFailures: 0, window: '1m' })).toThrow(TypeError)
    expect(() => createRedisRateLimiter({ client, maxFailures: 3, window: 0 })).toThrow()
    expect(() => createRedisRateLimiter({ client: {} as never, maxFailures: 3, window: '1m' })).toThrow(
      TypeError,
    )
    // ioredis's shape (sendCommand taking a Command object, `status` instead of `isReady`) is
    // refused at construction, not left to fail every command as "not ready".
    const ioredisLike = {
      status: 'ready',
      sendCommand: async () => null,
      duplicate: () => ({}),
      call: async () => null,
    }
    expect(() =>
      createRedisRateLimiter({ client: ioredisLike as never, maxFailures: 3, window: '1m' }),
    ).toThrow(TypeError)
  })
})
