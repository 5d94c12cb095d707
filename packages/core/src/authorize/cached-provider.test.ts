import { describe, expect, it } from 'vitest'
import { httpError } from '../http/http-error.js'
import type { JWTClaims } from '../types.js'
import { cachedProvider } from './cached-provider.js'
import type { ProviderInput } from './types.js'

const input = (sub: string | undefined, issuer = 'https://issuer.test'): ProviderInput => ({
  claims: (sub === undefined ? {} : { sub }) as JWTClaims,
  header: { alg: 'RS256' },
  token: 'h.p.s',
  issuer,
})

function counting(values: (sub: string) => readonly string[] = (sub) => [`group-of-${sub}`]) {
  const calls: string[] = []
  const provider = async ({ claims }: ProviderInput) => {
    calls.push(String(claims.sub))
    return values(String(claims.sub))
  }
  return { calls, provider }
}

function fakeClock(start = 1_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe('cachedProvider', () => {
  it('returns the provider values and serves repeats from the cache', async () => {
    const { calls, provider } = counting()
    const groups = cachedProvider(provider)
    expect(await groups(input('alice'))).toEqual(['group-of-alice'])
    expect(await groups(input('alice'))).toEqual(['group-of-alice'])
    expect(await groups(input('bob'))).toEqual(['group-of-bob'])
    expect(calls).toEqual(['alice', 'bob'])
    expect(groups.size).toBe(2)
    // One cached list is shared by many principals, so it cannot be changed through any of them.
    expect(Object.isFrozen(await groups(input('alice')))).toBe(true)
  })

  it('keys the cache by issuer as well as subject', async () => {
    const { calls, provider } = counting()
    const groups = cachedProvider(provider)
    await groups(input('alice', 'https://a.test'))
    await groups(input('alice', 'https://b.test'))
    expect(calls).toHaveLength(2)
  })

  it('shares one in-flight call between concurrent callers', async () => {
    let release!: (v: string[]) => void
    let calls = 0
    const groups = cachedProvider(() => {
      calls += 1
      return new Promise<string[]>((resolve) => {
        release = resolve
      })
    })
    const first = groups(input('alice'))
    const second = groups(input('alice'))
    release(['g'])
    expect(await Promise.all([first, second])).toEqual([['g'], ['g']])
    expect(calls).toBe(1)
  })

  it('calls again once the TTL has passed (fake clock)', async () => {
    const clock = fakeClock()
    const { calls, provider } = counting()
    const groups = cachedProvider(provider, { ttl: '1m', clock: clock.now })
    await groups(input('alice'))
    clock.advance(59_999)
    await groups(input('alice'))
    expect(calls).toHaveLength(1)
    clock.advance(1)
    await groups(input('alice'))
    expect(calls).toHaveLength(2)
  })

  it('evicts the least recently used subject beyond max', async () => {
    const { calls, provider } = counting()
    const groups = cachedProvider(provider, { max: 2 })
    await groups(input('a'))
    await groups(input('b'))
    await groups(input('a')) // a is now the most recently used
    await groups(input('c')) // evicts b
    expect(groups.size).toBe(2)
    await groups(input('a'))
    await groups(input('c'))
    expect(calls).toEqual(['a', 'b', 'c'])
    await groups(input('b'))
    expect(calls).toEqual(['a', 'b', 'c', 'b'])
  })

  it('turns a failure into a 503 ProviderUnavailableError and never caches it', async () => {
    let fail = true
    let calls = 0
    const groups = cachedProvider(async () => {
      calls += 1
      if (fail) throw new Error('directory down')
      return ['g']
    })
    const error = await Promise.resolve(groups(input('alice'))).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE', status: 503 })
    expect(httpError(error).status).toBe(503)
    expect(httpError(error).headers['retry-after']).toBeDefined()
    expect(groups.size).toBe(0)
    fail = false
    expect(await groups(input('alice'))).toEqual(['g'])
    expect(calls).toBe(2)
  })

  it('turns a synchronous throw into a 503 too', async () => {
    const groups = cachedProvider(() => {
      throw new TypeError('bug in the lookup')
    })
    await expect(groups(input('alice'))).rejects.toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE' })
  })

  it('times out a provider that never answers', async () => {
    let calls = 0
    const groups = cachedProvider(
      () => {
        calls += 1
        return new Promise<string[]>(() => {})
      },
      { timeout: 20 },
    )
    await expect(groups(input('alice'))).rejects.toMatchObject({
      code: 'ERR_PROVIDER_UNAVAILABLE',
      status: 503,
    })
    // The timed-out call is not remembered: the next request tries again.
    await expect(groups(input('alice'))).rejects.toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE' })
    expect(calls).toBe(2)
  })

  it('fails closed when the provider returns something other than a list', async () => {
    const groups = cachedProvider(async () => 'admin' as unknown as string[])
    await expect(groups(input('alice'))).rejects.toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE' })
  })

  it('does not cache tokens without a subject', async () => {
    const { calls, provider } = counting()
    const groups = cachedProvider(provider)
    await groups(input(undefined))
    await groups(input(undefined))
    expect(calls).toHaveLength(2)
  })

  it('forgets a subject on invalidate, even while its lookup is in flight', async () => {
    const { calls, provider } = counting()
    const groups = cachedProvider(provider)
    await groups(input('alice'))
    groups.invalidate('alice')
    const pending = groups(input('alice'))
    groups.invalidate('alice', 'https://issuer.test')
    await pending
    expect(groups.size).toBe(0)
    await groups(input('alice'))
    expect(calls).toHaveLength(3)
    groups.clear()
    expect(groups.size).toBe(0)
  })

  it('validates its options at construction', () => {
    const fn = async () => []
    expect(() => cachedProvider(fn, { max: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
    expect(() => cachedProvider(fn, { ttl: 'soon' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
    expect(() => cachedProvider(fn, { timeout: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })
})
