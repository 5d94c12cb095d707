import { keyStoreContract } from '@keygate/core/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisKeyStore, type RedisEvent } from '../src/index.js'
import { connect, describeRedis, dropPrefix, type TestRedisClient, uniquePrefix } from './redis-env.js'

const prefix = uniquePrefix('key-store')
let client: TestRedisClient

describeRedis('createRedisKeyStore on a real Redis', () => {
  beforeAll(async () => {
    client = await connect()
  })
  afterAll(async () => {
    await dropPrefix(client, prefix)
    await client.close()
  })

  for (const { name, run } of keyStoreContract(() => createRedisKeyStore({ client, prefix }))) {
    it(`keyStoreContract: ${name}`, run)
  }

  it('keys live under the prefix, with the ttl given', async () => {
    const store = createRedisKeyStore({ client, prefix })
    const value = { jwks: { keys: [] }, fetchedAt: 1, expiresAt: 2 }
    await store.set('https://issuer.test/jwks', value, 60_000)
    const ttl = await client.pTTL(`${prefix}jwks:https://issuer.test/jwks`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('a lease is released only by its holder (compare-and-delete)', async () => {
    const a = createRedisKeyStore({ client, prefix })
    const b = createRedisKeyStore({ client, prefix })
    expect(await a.acquire!('lease', 60_000)).toBe(true)
    await b.release!('lease') // b never held it: nothing happens
    expect(await b.acquire!('lease', 60_000)).toBe(false)
    // The lease expired and b took it: a's late release must not end b's lease.
    await client.del(`${prefix}jwks-lease:lease`)
    expect(await b.acquire!('lease', 60_000)).toBe(true)
    await a.release!('lease')
    expect(await a.acquire!('lease', 60_000)).toBe(false)
    await b.release!('lease')
    expect(await a.acquire!('lease', 60_000)).toBe(true)
    await a.release!('lease')
  })

  it('a foreign or corrupt value reads as missing', async () => {
    const store = createRedisKeyStore({ client, prefix })
    await client.set(`${prefix}jwks:corrupt`, '{not json')
    await client.set(`${prefix}jwks:foreign`, JSON.stringify({ keys: [] }))
    expect(await store.get('corrupt')).toBeUndefined()
    expect(await store.get('foreign')).toBeUndefined()
  })

  it('Redis unreachable: a miss, a fetch without the lease, and an event for each', async () => {
    const events: RedisEvent[] = []
    const closed = await connect()
    await closed.close()
    const store = createRedisKeyStore({ client: closed, prefix, onEvent: (event) => events.push(event) })
    expect(await store.get('x')).toBeUndefined()
    await store.set('x', { jwks: { keys: [] }, fetchedAt: 1, expiresAt: 2 }, 1000)
    expect(await store.acquire!('x', 1000)).toBe(true)
    expect(
      events.map((event) => event.type === 'command_failed' && `${event.operation}:${event.fallback}`),
    ).toEqual(['get:miss', 'set:not_stored', 'acquire:proceed_without_lease'])
  })
})
