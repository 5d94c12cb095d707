import type { StoredTokens as ClientStoredTokens, TokenStore as ClientTokenStore } from '@keygate/client'
import { afterAll, beforeAll, expect, expectTypeOf, it } from 'vitest'
import { createRedisTokenStore, type RedisEvent, type StoredTokens } from '../src/index.js'
import { connect, describeRedis, dropPrefix, type TestRedisClient, uniquePrefix } from './redis-env.js'

const prefix = uniquePrefix('token-store')
let client: TestRedisClient

const tokens = (tag: string): StoredTokens => ({
  accessToken: `access-${tag}`,
  expiresAt: Date.now() + 300_000,
  refreshToken: `refresh-${tag}`,
  scope: 'read write',
})

describeRedis('createRedisTokenStore on a real Redis', () => {
  beforeAll(async () => {
    client = await connect()
  })
  afterAll(async () => {
    await dropPrefix(client, prefix)
    await client.close()
  })

  it("is exactly @keygate/client's TokenStore (checked by the compiler)", () => {
    const store = createRedisTokenStore({ client, prefix })
    expectTypeOf(store).toEqualTypeOf<ClientTokenStore>()
    expectTypeOf<StoredTokens>().toEqualTypeOf<ClientStoredTokens>()
    const forClient: ClientTokenStore = store
    expect(typeof forClient.acquire).toBe('function')
  })

  it('set, get, delete round-trip copies, with the ttl given', async () => {
    const store = createRedisTokenStore({ client, prefix })
    expect(await store.get('svc')).toBeUndefined()
    const value = tokens('1')
    await store.set('svc', value, 60_000)
    value.accessToken = 'changed'
    expect(await store.get('svc')).toEqual({ ...tokens('1'), expiresAt: expect.any(Number) })
    const ttl = await client.pTTL(`${prefix}client-token:svc`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
    await store.delete('svc')
    expect(await store.get('svc')).toBeUndefined()
  })

  it('optional fields stay optional; a malformed entry reads as missing', async () => {
    const store = createRedisTokenStore({ client, prefix })
    await store.set('bare', { accessToken: 'a', expiresAt: 1 }, 60_000)
    expect(await store.get('bare')).toEqual({ accessToken: 'a', expiresAt: 1 })
    await client.set(`${prefix}client-token:bad`, JSON.stringify({ accessToken: 42, expiresAt: 1 }))
    expect(await store.get('bad')).toBeUndefined()
  })

  it('the lease: one of many concurrent callers wins; only the winner releases it', async () => {
    const stores = Array.from({ length: 10 }, () => createRedisTokenStore({ client, prefix }))
    const won = await Promise.all(stores.map((store) => store.acquire!('race', 60_000)))
    expect(won.filter(Boolean)).toHaveLength(1)
    const loser = stores[won.indexOf(false)]!
    await loser.release!('race')
    expect(await loser.acquire!('race', 60_000)).toBe(false)
    await stores[won.indexOf(true)]!.release!('race')
    expect(await loser.acquire!('race', 60_000)).toBe(true)
    await loser.release!('race')
  })

  it('Redis unreachable: a miss, and the lease is granted so each process gets its own token; events say so', async () => {
    const events: RedisEvent[] = []
    const closed = await connect()
    await closed.close()
    const store = createRedisTokenStore({ client: closed, prefix, onEvent: (event) => events.push(event) })
    expect(await store.get('svc')).toBeUndefined()
    expect(await store.acquire!('svc', 1000)).toBe(true)
    await store.release!('svc')
    await store.set('svc', tokens('2'), 1000)
    await store.delete('svc')
    expect(
      events.map((event) => event.type === 'command_failed' && `${event.part}:${event.operation}`),
    ).toEqual(['token-store:get', 'token-store:acquire', 'token-store:set', 'token-store:delete'])
  })
})
