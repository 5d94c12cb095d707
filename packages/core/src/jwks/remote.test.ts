import { afterEach, describe, expect, it } from 'vitest'
import { AuthError, type KeysUnavailableError } from '../errors.js'
import { createTestIssuer, type TestIssuer, type TestIssuerOptions } from '../testing/test-issuer.js'
import { createMemoryKeyStore } from './memory-store.js'
import { createRemoteJWKS, type RemoteJWKS, type RemoteJWKSOptions } from './remote.js'
import type { JWKSEvent, KeyStore } from './types.js'

const T0 = 1_700_000_000_000
const SECOND = 1000
const MINUTE = 60 * SECOND

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Harness {
  issuer: TestIssuer
  source: RemoteJWKS
  events: JWKSEvent[]
  time: { now: number }
  selector: { kid: string; alg: string }
  make(options?: Partial<RemoteJWKSOptions>): RemoteJWKS
}

async function setup(
  options: Partial<RemoteJWKSOptions> = {},
  issuerOptions: TestIssuerOptions = {},
): Promise<Harness> {
  const issuer = await createTestIssuer({ algorithms: ['ES256', 'EdDSA'], ...issuerOptions })
  await issuer.listen()
  const events: JWKSEvent[] = []
  const time = { now: T0 }
  const make = (extra: Partial<RemoteJWKSOptions> = {}) => {
    const source = createRemoteJWKS({
      jwksUri: issuer.jwksUri,
      clock: () => time.now,
      onEvent: (event) => events.push(event),
      ...options,
      ...extra,
    } as RemoteJWKSOptions)
    cleanups.push(() => source.close())
    return source
  }
  cleanups.push(() => issuer.close())
  const source = make()
  const key = issuer.keys[0]!
  return { issuer, source, events, time, selector: { kid: key.kid, alg: key.alg }, make }
}

const randomKid = () => `random-${Math.random().toString(36).slice(2)}`
const count = (events: JWKSEvent[], type: JWKSEvent['type']) => events.filter((e) => e.type === type).length

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise
  } catch (error) {
    if (AuthError.is(error)) return error
    throw error
  }
  throw new Error('expected a rejection')
}

describe('createRemoteJWKS: cold cache and single-flight', () => {
  it('1000 concurrent lookups on a cold cache make exactly one fetch', async () => {
    const { issuer, source, selector } = await setup()
    const keys = await Promise.all(Array.from({ length: 1000 }, () => source.getKey(selector)))
    expect(issuer.counters.jwks).toBe(1)
    expect(new Set(keys).size).toBe(1)
    expect(keys[0]!.kid).toBe(selector.kid)
    expect(source.peek()?.map((k) => k.kid)).toEqual(issuer.keys.map((k) => k.kid))
  })

  it('serves a warm copy without touching the store, returning the same key object', async () => {
    const inner = createMemoryKeyStore({ clock: () => T0 })
    const calls = { get: 0, set: 0 }
    const store: KeyStore = {
      ...inner,
      get: (key) => {
        calls.get += 1
        return inner.get(key)
      },
      set: (key, value, ttl) => {
        calls.set += 1
        return inner.set(key, value, ttl)
      },
    }
    const { source, selector } = await setup({ store })
    const first = await source.getKey(selector)
    const before = { ...calls }
    for (let i = 0; i < 100; i++) expect(await source.getKey(selector)).toBe(first)
    expect(calls).toEqual(before)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('concurrent reloads share one fetch; reload always refetches', async () => {
    const { issuer, source, selector } = await setup()
    await source.getKey(selector)
    await Promise.all(Array.from({ length: 10 }, () => source.reload()))
    expect(issuer.counters.jwks).toBe(2)
    await source.reload()
    expect(issuer.counters.jwks).toBe(3)
  })

  it('works without sockets through an injected fetch (edge-style), over an https URL', async () => {
    const issuer = await createTestIssuer({ algorithms: ['EdDSA'] })
    const source = createRemoteJWKS({ jwksUri: issuer.jwksUri, fetch: issuer.fetch })
    cleanups.push(() => source.close())
    expect(issuer.jwksUri.startsWith('https://')).toBe(true)
    const key = issuer.keys[0]!
    const got = await Promise.all(
      Array.from({ length: 100 }, () => source.getKey({ kid: key.kid, alg: 'EdDSA' })),
    )
    expect(got.every((k) => k.kid === key.kid)).toBe(true)
    expect(issuer.counters.jwks).toBe(1)
  })

  it('peek() is undefined before the first load', async () => {
    const { source, issuer } = await setup()
    expect(source.peek()).toBeUndefined()
    expect(issuer.counters.jwks).toBe(0)
  })
})

describe('createRemoteJWKS: keyNow, the synchronous hot path', () => {
  it('answers only from a fresh copy: never fetches, never consults the negative cache', async () => {
    const { issuer, source, selector, time, events } = await setup({ maxAge: '1m', refreshAhead: 1 })
    // Cold: "ask getKey", and nothing started.
    expect(source.keyNow!(selector)).toBeUndefined()
    expect(issuer.counters.jwks).toBe(0)
    const key = await source.getKey(selector)
    // Warm: the very key getKey gives.
    expect(source.keyNow!(selector)).toBe(key)
    // An unknown kid is left to getKey: no kid_miss, no cooldown entry, no fetch.
    expect(source.keyNow!({ kid: randomKid(), alg: selector.alg })).toBeUndefined()
    expect(count(events, 'kid_miss')).toBe(0)
    // Past expiry the copy is stale: serving it (and refreshing) is getKey's decision.
    time.now = T0 + 2 * MINUTE
    expect(source.keyNow!(selector)).toBeUndefined()
    expect(count(events, 'stale_served')).toBe(0)
    await source.idle()
    expect(issuer.counters.jwks).toBe(1)
  })

  it('counts each answer as a use and starts the refresh-ahead, like getKey', async () => {
    const { issuer, source, selector } = await setup({ strategy: 'usage', maxUses: 4, refreshAhead: 0.5 })
    await source.getKey(selector) // use 1
    expect(source.keyNow!(selector)).toBeDefined() // use 2: reaches the refresh-ahead point
    await source.idle()
    expect(issuer.counters.jwks).toBe(1)
    expect(source.keyNow!(selector)).toBeDefined() // use 3: served ahead, a background refresh starts
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
  })
})

describe('createRemoteJWKS: refresh strategies', () => {
  it('time: refreshes when max age passes, not before', async () => {
    const { issuer, source, selector, time, events } = await setup({ maxAge: '1m', refreshAhead: 1 })
    await source.getKey(selector)
    time.now = T0 + MINUTE - 1
    for (let i = 0; i < 50; i++) await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(1)
    time.now = T0 + MINUTE
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    expect(events.filter((e) => e.type === 'refresh').map((e) => e.type === 'refresh' && e.reason)).toEqual([
      'initial',
      'expired',
    ])
    // The new copy lives another max age from its fetch.
    time.now = T0 + 2 * MINUTE - 1
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
  })

  it('usage: refreshes after max uses, whatever the time', async () => {
    const { issuer, source, selector, time, events } = await setup({
      strategy: 'usage',
      maxUses: 5,
      refreshAhead: 1,
    })
    for (let i = 0; i < 4; i++) await source.getKey(selector)
    time.now = T0 + 48 * 60 * MINUTE // time plays no part in this strategy
    await source.getKey(selector) // fifth use: the last one this copy serves fresh
    await source.idle()
    expect(issuer.counters.jwks).toBe(1)
    await source.getKey(selector) // sixth use: served, and a refresh starts
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    for (let i = 0; i < 5; i++) await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(3)
    expect(events.some((e) => e.type === 'refresh' && e.reason === 'usage')).toBe(true)
  })

  it('both: whichever of max uses and max age comes first', async () => {
    const { issuer, source, selector, time } = await setup({
      strategy: 'both',
      maxUses: 5,
      maxAge: '1m',
      refreshAhead: 1,
    })
    for (let i = 0; i < 5; i++) await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(1)
    await source.getKey(selector) // uses exhausted first
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    time.now = T0 + MINUTE - 1
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    time.now = T0 + MINUTE // now age runs out first (2 uses on this copy)
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(3)
  })

  it('refresh-ahead runs in the background: the caller is answered while the fetch is still held', async () => {
    let gate: (() => void) | undefined
    let held = 0
    const gatedFetch: typeof fetch = async (input, init) => {
      if (gate === undefined) {
        held += 1
        await new Promise<void>((resolve) => {
          gate = resolve
        })
      }
      return fetch(input, init)
    }
    const { issuer, source, selector, time, events } = await setup({ maxAge: '1m', fetch: gatedFetch })
    gate = () => {}
    await source.getKey(selector) // initial load passes the open gate
    gate = undefined
    time.now = T0 + 0.8 * MINUTE - 1
    await source.getKey(selector)
    expect(held).toBe(0)
    time.now = T0 + 0.8 * MINUTE
    const key = await source.getKey(selector) // resolves although the refresh below never proceeds
    expect(key.kid).toBe(selector.kid)
    while (held === 0) await new Promise((resolve) => setImmediate(resolve))
    expect(issuer.counters.jwks).toBe(1) // the refresh is blocked in fetch…
    expect(await source.getKey(selector)).toBe(key) // …and callers keep being answered
    gate!()
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    expect(events.some((e) => e.type === 'refresh' && e.reason === 'ahead')).toBe(true)
    expect(count(events, 'stale_served')).toBe(0)
  })

  it('stale-while-revalidate: past expiry the stale copy answers and one background refresh runs', async () => {
    const { issuer, source, selector, time, events } = await setup({ maxAge: '1m', refreshAhead: 1 })
    await source.getKey(selector)
    time.now = T0 + 2 * MINUTE
    const keys = await Promise.all(Array.from({ length: 20 }, () => source.getKey(selector)))
    expect(keys.every((k) => k.kid === selector.kid)).toBe(true)
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    expect(count(events, 'stale_served')).toBeGreaterThan(0)
  })
})

describe('createRemoteJWKS: unknown kids', () => {
  it('500 random kids: at most one fetch per cooldown, bounded negative cache', async () => {
    const { issuer, source, selector, time, events } = await setup({ cooldown: '30s', maxUnknownKids: 100 })
    await source.getKey(selector)
    time.now += 31 * SECOND
    const fetchTimes: number[] = []
    const concurrent = await Promise.allSettled(
      Array.from({ length: 500 }, () => source.getKey({ kid: randomKid(), alg: 'ES256' })),
    )
    expect(concurrent.every((r) => r.status === 'rejected' && AuthError.is(r.reason))).toBe(true)
    expect(
      concurrent.every(
        (r) => r.status === 'rejected' && (r.reason as AuthError).code === 'ERR_KEY_NOT_FOUND',
      ),
    ).toBe(true)
    expect(issuer.counters.jwks).toBe(2)
    expect(source.unknownKids).toBeLessThanOrEqual(100)

    // 500 more, one every 200 ms over 100 s of fake time.
    let last = issuer.counters.jwks
    for (let i = 0; i < 500; i++) {
      time.now += 200
      const error = await rejection(source.getKey({ kid: randomKid(), alg: 'ES256' }))
      expect(error.code).toBe('ERR_KEY_NOT_FOUND')
      if (issuer.counters.jwks !== last) {
        fetchTimes.push(time.now)
        last = issuer.counters.jwks
      }
      expect(source.unknownKids).toBeLessThanOrEqual(100)
    }
    expect(fetchTimes.length).toBeGreaterThanOrEqual(2)
    expect(fetchTimes.length).toBeLessThanOrEqual(Math.ceil(100 / 30))
    for (let i = 1; i < fetchTimes.length; i++) {
      expect(fetchTimes[i]! - fetchTimes[i - 1]!).toBeGreaterThanOrEqual(30 * SECOND)
    }
    expect(count(events, 'kid_miss')).toBe(1000)
    // Concurrent misses joined the one refetch; later ones hit the cooldown without fetching.
    expect(count(events, 'cooldown_hit')).toBeGreaterThan(450)
    // A known kid still works throughout.
    expect((await source.getKey(selector)).kid).toBe(selector.kid)
  })

  it('a kid seen unknown is answered from the negative cache without another fetch', async () => {
    const { issuer, source, selector, time, events } = await setup()
    await source.getKey(selector)
    time.now += 31 * SECOND
    const kid = randomKid()
    expect((await rejection(source.getKey({ kid, alg: 'ES256' }))).code).toBe('ERR_KEY_NOT_FOUND')
    expect(issuer.counters.jwks).toBe(2)
    expect(source.unknownKids).toBe(1)
    expect((await rejection(source.getKey({ kid, alg: 'ES256' }))).status).toBe(401)
    expect(issuer.counters.jwks).toBe(2)
    expect(events.filter((e) => e.type === 'cooldown_hit').length).toBe(1)
  })

  it('rotation: a new kid is found after one refetch, with no failures', async () => {
    const { issuer, source, selector, time } = await setup()
    await source.getKey(selector)
    time.now += 31 * SECOND
    await issuer.rotate()
    const fresh = issuer.keys[0]!
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => source.getKey({ kid: fresh.kid, alg: fresh.alg })),
    )
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(0)
    expect(issuer.counters.jwks).toBe(2)
    for (const key of issuer.keys)
      expect((await source.getKey({ kid: key.kid, alg: key.alg })).kid).toBe(key.kid)
    expect(issuer.counters.jwks).toBe(2)
  })

  it('rotation within the cooldown of the last fetch waits for the cooldown (one fetch per cooldown)', async () => {
    const { issuer, source, selector, time } = await setup({ cooldown: '30s' })
    await source.getKey(selector)
    await issuer.rotate({ keepOld: true })
    const fresh = issuer.keys[0]!
    time.now += 10 * SECOND
    expect((await rejection(source.getKey({ kid: fresh.kid, alg: fresh.alg }))).code).toBe(
      'ERR_KEY_NOT_FOUND',
    )
    expect(issuer.counters.jwks).toBe(1)
    time.now += 30 * SECOND // the negative entry and the cooldown have both run out
    expect((await source.getKey({ kid: fresh.kid, alg: fresh.alg })).kid).toBe(fresh.kid)
    expect(issuer.counters.jwks).toBe(2)
  })

  it('a kid-less token with several fitting keys is ambiguous, with no refetch', async () => {
    const { issuer, source, selector, time } = await setup({}, { algorithms: ['ES256', 'ES256'] })
    await source.getKey(selector)
    time.now += MINUTE
    const error = await rejection(source.getKey({ alg: 'ES256' }))
    expect(error.code).toBe('ERR_KEY_NOT_FOUND')
    expect(issuer.counters.jwks).toBe(1)
  })

  it('a kid-less token with exactly one fitting key gets it', async () => {
    const { source } = await setup()
    expect((await source.getKey({ alg: 'EdDSA' })).crv).toBe('Ed25519')
  })

  it('the algorithm must fit: a known kid with another algorithm is not served', async () => {
    const { source, selector, issuer, time } = await setup()
    await source.getKey(selector)
    time.now += MINUTE
    expect((await rejection(source.getKey({ kid: selector.kid, alg: 'RS256' }))).code).toBe(
      'ERR_KEY_NOT_FOUND',
    )
    expect(issuer.counters.jwks).toBe(2)
  })
})

describe('createRemoteJWKS: outages', () => {
  it('10+ minutes of a failing JWKS: stale within max-stale, bounded attempts with backoff, then 503', async () => {
    const { issuer, source, selector, time, events } = await setup({ maxAge: '1m', maxStale: '10m' })
    await source.getKey(selector)
    issuer.setMode({ kind: 'status', status: 500 })
    const deadline = T0 + MINUTE + 10 * MINUTE
    let served = 0
    while (time.now + SECOND <= deadline) {
      time.now += SECOND
      const key = await source.getKey(selector)
      expect(key.kid).toBe(selector.kid)
      served += 1
      await source.idle()
    }
    expect(served).toBe(660)
    const attempts = events.filter((e) => e.type === 'fetch_error')
    // 1 s doubling to 5 min from the refresh-ahead point (48 s): 10 attempts in 11 minutes.
    expect(attempts.length).toBeGreaterThanOrEqual(5)
    expect(attempts.length).toBeLessThanOrEqual(12)
    expect(issuer.counters.jwks).toBe(1 + attempts.length)
    const gaps = attempts.map((e, i) => (e.type === 'fetch_error' ? e.attempt : 0) - i)
    expect(gaps.every((g) => g === 1)).toBe(true) // attempts are numbered 1, 2, 3…
    // Each retry waits twice as long as the one before (1 s, 2 s, 4 s…), capped at 5 minutes.
    const retryAt = attempts.map((e) => (e.type === 'fetch_error' ? e.nextAttemptAt : 0))
    for (let i = 1; i < retryAt.length; i++) {
      expect(retryAt[i]! - retryAt[i - 1]!).toBe(Math.min(SECOND * 2 ** i, 5 * MINUTE))
    }
    expect(count(events, 'stale_served')).toBeGreaterThan(500)

    time.now = deadline + 1
    const error = (await rejection(source.getKey(selector))) as KeysUnavailableError
    expect(error.code).toBe('ERR_KEYS_UNAVAILABLE')
    expect(error.status).toBe(503)
    expect(error.retryAfter).toBeGreaterThanOrEqual(1)
    const attemptsAtDeadline = issuer.counters.jwks
    // While backing off, a flood of requests makes no fetch.
    for (let i = 0; i < 50; i++) await rejection(source.getKey(selector))
    expect(issuer.counters.jwks).toBe(attemptsAtDeadline)

    // Recovery: once the backoff window passes, the next request fetches and is served.
    issuer.setMode({ kind: 'ok' })
    time.now += error.retryAfter * SECOND
    expect((await source.getKey(selector)).kid).toBe(selector.kid)
  })

  it('no copy and a failing endpoint: 503 with Retry-After, and backoff between attempts', async () => {
    const { issuer, source, selector, time } = await setup()
    issuer.setMode({ kind: 'status', status: 503 })
    const first = (await rejection(source.getKey(selector))) as KeysUnavailableError
    expect(first.code).toBe('ERR_KEYS_UNAVAILABLE')
    expect(first.status).toBe(503)
    expect(first.retryAfter).toBe(1)
    expect(issuer.counters.jwks).toBe(1)
    await rejection(source.getKey(selector))
    expect(issuer.counters.jwks).toBe(1)
    time.now += SECOND
    await rejection(source.getKey(selector))
    expect(issuer.counters.jwks).toBe(2)
    issuer.setMode({ kind: 'ok' })
    time.now += 2 * SECOND
    expect((await source.getKey(selector)).kid).toBe(selector.kid)
  })

  it('a key rotated during an outage: 503 with Retry-After (never 401), no negative caching, found once the backoff allows', async () => {
    const { issuer, source, selector, time } = await setup()
    await source.getKey(selector)
    issuer.setMode({ kind: 'status', status: 500 })
    await issuer.rotate()
    const fresh = { kid: issuer.keys[0]!.kid, alg: issuer.keys[0]!.alg }
    time.now += MINUTE
    // The first miss fetches and fails: an outage.
    const first = (await rejection(source.getKey(fresh))) as KeysUnavailableError
    expect(first.code).toBe('ERR_KEYS_UNAVAILABLE')
    expect(first.retryAfter).toBeGreaterThanOrEqual(1)
    const attempts = issuer.counters.jwks
    // While backing off: still 503, no fetch, and the kid is not remembered as unknown.
    for (let i = 0; i < 20; i++) {
      expect((await rejection(source.getKey(fresh))).code).toBe('ERR_KEYS_UNAVAILABLE')
    }
    expect(issuer.counters.jwks).toBe(attempts)
    expect(source.unknownKids).toBe(0)
    // Known keys keep verifying from the cached copy meanwhile.
    expect((await source.getKey(selector)).kid).toBe(selector.kid)
    // As soon as the backoff allows (not the 30 s cooldown), the new kid is looked for again.
    issuer.setMode({ kind: 'ok' })
    time.now += first.retryAfter * SECOND
    expect((await source.getKey(fresh)).kid).toBe(fresh.kid)
    expect(issuer.counters.jwks).toBe(attempts + 1)
  })

  it.each([503, 429])(
    'an upstream %i Retry-After longer than the backoff is honoured (capped by maxBackoff)',
    async (status) => {
      let answer: () => Response = () => new Response('busy', { status, headers: { 'retry-after': '120' } })
      let calls = 0
      const issuerFetch = { current: undefined as typeof fetch | undefined }
      const { issuer, source, selector, time, events } = await setup({
        fetch: async (input, init) => {
          calls += 1
          return calls === 1 ? issuerFetch.current!(input, init) : answer()
        },
      })
      issuerFetch.current = issuer.fetch
      await source.getKey(selector)
      time.now += 11 * MINUTE // past the 10 min max age, within max-stale: the stale copy answers
      expect((await source.getKey(selector)).kid).toBe(selector.kid)
      await source.idle()
      const failure = events.find((e) => e.type === 'fetch_error')
      expect(failure?.type === 'fetch_error' && failure.nextAttemptAt - time.now).toBe(120 * SECOND)
      // An HTTP-date works too; a wait beyond maxBackoff is capped.
      answer = () =>
        new Response('busy', {
          status,
          headers: { 'retry-after': new Date(time.now + 3_600_000).toUTCString() },
        })
      time.now += 120 * SECOND
      await source.getKey(selector)
      await source.idle()
      const second = events.filter((e) => e.type === 'fetch_error')[1]
      expect(second?.type === 'fetch_error' && second.nextAttemptAt - time.now).toBe(5 * MINUTE)
      expect(calls).toBe(3)
    },
  )

  const broken: Array<[string, Parameters<TestIssuer['setMode']>[0]]> = [
    ['non-JSON body', { kind: 'body', body: '<html>oops</html>', contentType: 'text/html' }],
    ['JSON that is not an object', { kind: 'body', body: '[1,2,3]' }],
    ['no keys array', { kind: 'body', body: '{"keys":"nope"}' }],
    ['a key that is not an object', { kind: 'body', body: '{"keys":[1]}' }],
    ['a key without kty', { kind: 'body', body: '{"keys":[{"kid":"x"}]}' }],
    ['HTTP 500', { kind: 'status', status: 500 }],
    ['HTTP 404', { kind: 'status', status: 404 }],
    ['HTTP 202 (success, but not 200)', { kind: 'status', status: 202 }],
  ]
  for (const [name, mode] of broken) {
    it(`${name} is a fetch failure, never a crash (cold: 503; warm: stale served)`, async () => {
      const { issuer, source, selector, time, events, make } = await setup({ maxAge: '1m', refreshAhead: 1 })
      issuer.setMode(mode)
      expect((await rejection(source.getKey(selector))).code).toBe('ERR_KEYS_UNAVAILABLE')
      expect(count(events, 'fetch_error')).toBe(1)
      issuer.setMode({ kind: 'ok' })
      const warm = make()
      await warm.getKey(selector)
      issuer.setMode(mode)
      time.now += 2 * MINUTE
      expect((await warm.getKey(selector)).kid).toBe(selector.kid)
      await warm.idle()
      expect(count(events, 'fetch_error')).toBe(2)
      expect(warm.peek()?.length).toBe(issuer.keys.length)
    })
  }

  it('an oversized body is a fetch failure (streamed limit and declared length)', async () => {
    const { issuer, source, selector, events } = await setup({ maxBodyBytes: 2048 })
    const padding = 'x'.repeat(4096)
    issuer.setMode({ kind: 'body', body: JSON.stringify({ keys: issuer.jwks().keys, padding }) })
    expect((await rejection(source.getKey(selector))).code).toBe('ERR_KEYS_UNAVAILABLE')
    const failure = events.find((e) => e.type === 'fetch_error')
    expect(failure?.type === 'fetch_error' && (failure.error as { reason?: string }).reason).toBe('too_large')
    issuer.setMode({ kind: 'ok' })
  })

  it.each([
    [
      'nested brackets in a key',
      (n: number) => `{"keys":[{"kty":"RSA","x":${'['.repeat(n)}${']'.repeat(n)}}]}`,
      'depth',
    ],
    ['nested brackets at the top', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`, 'depth'],
    ['hundreds of thousands of values', (n: number) => `{"keys":[],"x":[${'0,'.repeat(n)}0]}`, 'values'],
  ])('a 400 KB body of %s is refused by the bounded pre-scan, before parsing', async (_, body, limit) => {
    const { issuer, source, selector, events } = await setup()
    issuer.setMode({ kind: 'body', body: body(200_000) })
    expect((await rejection(source.getKey(selector))).code).toBe('ERR_KEYS_UNAVAILABLE')
    const failure = events.find((e) => e.type === 'fetch_error')
    const error =
      failure?.type === 'fetch_error' ? (failure.error as { reason?: string; message: string }) : undefined
    // Before the scan: a RangeError from a recursive copy, after a long parse.
    expect(error?.reason).toBe('json')
    expect(error?.message).toContain(limit)
  })

  it('a JWKS publishing private keys: those keys are never used, and each is reported', async () => {
    const { issuer, source, events } = await setup()
    const [es, ed] = issuer.keys
    const leaked = (key: typeof es) => ({ ...issuer.jwks().keys.find((k) => k.kid === key!.kid)!, d: 'AAAA' })
    const oct = { kty: 'oct', kid: 'shared', k: 'c2VjcmV0', alg: 'HS256' }
    const rsaCRT = { kty: 'RSA', kid: 'crt', n: 'AQAB', e: 'AQAB', p: 'AQ', q: 'AQ' }
    issuer.setMode({
      kind: 'body',
      body: JSON.stringify({ keys: [leaked(es), issuer.jwks().keys[1], oct, rsaCRT] }),
    })
    expect((await rejection(source.getKey({ kid: es!.kid, alg: es!.alg }))).code).toBe('ERR_KEY_NOT_FOUND')
    expect((await source.getKey({ kid: ed!.kid, alg: ed!.alg })).kid).toBe(ed!.kid)
    expect(source.peek()?.map((k) => k.kid)).toEqual([ed!.kid])
    const reported = events
      .filter((e) => e.type === 'private_key')
      .map((e) => (e.type === 'private_key' ? e.kid : ''))
    expect(reported).toEqual([es!.kid, 'shared', 'crt'])
    issuer.setMode({ kind: 'ok' })
  })

  it('a body without content-length over the limit is cut off while streaming', async () => {
    const big = JSON.stringify({ keys: [], padding: 'y'.repeat(10_000) })
    const chunked: typeof fetch = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            const bytes = new TextEncoder().encode(big)
            for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000))
            controller.close()
          },
        }),
        { status: 200 },
      )
    const { source, selector, events } = await setup({ maxBodyBytes: 4096, fetch: chunked })
    expect((await rejection(source.getKey(selector))).code).toBe('ERR_KEYS_UNAVAILABLE')
    const failure = events.find((e) => e.type === 'fetch_error')
    expect(failure?.type === 'fetch_error' && (failure.error as { reason?: string }).reason).toBe('too_large')
  })

  it('a hanging endpoint is cut off by the timeout', async () => {
    const { issuer, source, selector, events } = await setup({ timeout: 100 })
    issuer.setMode({ kind: 'hang' })
    expect((await rejection(source.getKey(selector))).code).toBe('ERR_KEYS_UNAVAILABLE')
    const failure = events.find((e) => e.type === 'fetch_error')
    expect(failure?.type === 'fetch_error' && (failure.error as { reason?: string }).reason).toBe('timeout')
    issuer.setMode({ kind: 'ok' })
  })

  it('the timeout holds even when an injected fetch ignores its abort signal', async () => {
    const deaf: typeof fetch = () => new Promise<Response>(() => {})
    const { source, selector } = await setup({ timeout: 50, fetch: deaf })
    expect((await rejection(source.getKey(selector))).code).toBe('ERR_KEYS_UNAVAILABLE')
  })

  it('a throwing onEvent hook is ignored', async () => {
    const { issuer, selector, make } = await setup()
    const source = make({
      onEvent: () => {
        throw new Error('hook failure')
      },
    })
    expect((await source.getKey(selector)).kid).toBe(selector.kid)
    expect(issuer.counters.jwks).toBe(1)
  })

  it('close() aborts a fetch in flight', async () => {
    const { issuer, source, selector } = await setup({ timeout: '30s' })
    issuer.setMode({ kind: 'hang' })
    const pending = source.getKey(selector)
    // Wait until the request is really in flight on the server.
    while (issuer.counters.jwks === 0) await new Promise((resolve) => setImmediate(resolve))
    source.close()
    expect((await rejection(pending)).code).toBe('ERR_KEYS_UNAVAILABLE')
    issuer.setMode({ kind: 'ok' })
  })
})

describe('createRemoteJWKS: HTTP caching', () => {
  const cases: Array<[string, string | undefined, number]> = [
    ['max-age below the lower clamp', 'max-age=5', MINUTE],
    ['max-age within the clamps', 'public, max-age=300', 5 * MINUTE],
    ['max-age above the upper clamp', 'max-age=31536000', 24 * 60 * MINUTE],
    ['no-cache', 'no-cache', MINUTE],
    ['no-store', 'no-store, max-age=600', MINUTE],
    ['no header: the configured max age', undefined, 10 * MINUTE],
  ]
  for (const [name, header, lifetime] of cases) {
    it(`Cache-Control ${name} → fresh for ${lifetime / 1000} s`, async () => {
      const { issuer, source, selector, time } = await setup({ refreshAhead: 1 }, { cacheControl: header })
      await source.getKey(selector)
      time.now = T0 + lifetime - 1
      await source.getKey(selector)
      await source.idle()
      expect(issuer.counters.jwks).toBe(1)
      time.now = T0 + lifetime
      await source.getKey(selector)
      await source.idle()
      expect(issuer.counters.jwks).toBe(2)
    })
  }

  it('ETag: a 304 keeps the copy (same key objects) and renews its expiry', async () => {
    const { issuer, source, selector, time, events } = await setup({ maxAge: '1m', refreshAhead: 1 })
    const before = await source.getKey(selector)
    const keysBefore = source.peek()
    time.now = T0 + MINUTE
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    const fetches = events.filter((e) => e.type === 'fetch')
    expect(fetches.map((e) => e.type === 'fetch' && [e.status, e.notModified])).toEqual([
      [200, false],
      [304, true],
    ])
    expect(source.peek()).toBe(keysBefore)
    expect(await source.getKey(selector)).toBe(before)
    time.now = T0 + 2 * MINUTE - 1
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(2)
    time.now = T0 + 2 * MINUTE
    await source.getKey(selector)
    await source.idle()
    expect(issuer.counters.jwks).toBe(3)
  })

  it('a changed JWKS after expiry replaces the copy but keeps unchanged key objects', async () => {
    const { issuer, source, selector, time } = await setup({ maxAge: '1m', refreshAhead: 1 })
    const before = await source.getKey(selector)
    await issuer.rotate({ keepOld: true })
    time.now = T0 + MINUTE
    await source.getKey(selector)
    await source.idle()
    expect(source.peek()?.length).toBe(4)
    expect(await source.getKey(selector)).toBe(before)
  })
})

describe('createRemoteJWKS: shared KeyStore', () => {
  it('a second source on the same store starts warm with no fetch', async () => {
    const { issuer, source, selector, make, time } = await setup()
    const store = createMemoryKeyStore({ clock: () => time.now })
    const first = make({ store })
    await first.getKey(selector)
    expect(issuer.counters.jwks).toBe(1)
    const second = make({ store })
    expect((await second.getKey(selector)).kid).toBe(selector.kid)
    expect(issuer.counters.jwks).toBe(1)
    expect(source.peek()).toBeUndefined()
  })

  it('discovering sources share the store too: no discovery and no JWKS fetch for the second', async () => {
    const { issuer, selector, make, time } = await setup()
    const store = createMemoryKeyStore({ clock: () => time.now })
    const first = make({ store, jwksUri: undefined, issuer: issuer.issuer })
    await first.getKey(selector)
    expect(issuer.counters).toEqual({ jwks: 1, discovery: 1 })
    const second = make({ store, jwksUri: undefined, issuer: issuer.issuer })
    await second.getKey(selector)
    expect(issuer.counters).toEqual({ jwks: 1, discovery: 1 })
  })

  it('two cold sources at once on one store: one upstream fetch (lock), the other reads the store', async () => {
    const { issuer, selector, make, time } = await setup()
    const store = createMemoryKeyStore({ clock: () => time.now })
    const a = make({ store })
    const b = make({ store })
    const keys = await Promise.all([
      a.getKey(selector),
      b.getKey(selector),
      a.getKey(selector),
      b.getKey(selector),
    ])
    expect(keys.every((k) => k.kid === selector.kid)).toBe(true)
    expect(issuer.counters.jwks).toBe(1)
  })

  it('kid misses across isolates (no shared promise): at most one fetch per cooldown via the store', async () => {
    const { issuer, selector, make, time } = await setup({ cooldown: '30s' })
    const store = createMemoryKeyStore({ clock: () => time.now })
    const isolates = Array.from({ length: 5 }, () => make({ store }))
    for (const isolate of isolates) await isolate.getKey(selector)
    expect(issuer.counters.jwks).toBe(1)
    time.now += 31 * SECOND
    for (const isolate of isolates) {
      expect((await rejection(isolate.getKey({ kid: randomKid(), alg: 'ES256' }))).code).toBe(
        'ERR_KEY_NOT_FOUND',
      )
    }
    expect(issuer.counters.jwks).toBe(2)
  })

  it('a refresh by one source is adopted by another instead of fetching again', async () => {
    const { issuer, selector, make, time } = await setup({ maxAge: '1m', refreshAhead: 1 })
    const store = createMemoryKeyStore({ clock: () => time.now })
    const a = make({ store })
    const b = make({ store })
    await a.getKey(selector)
    await b.getKey(selector)
    time.now = T0 + MINUTE
    await a.getKey(selector)
    await a.idle()
    expect(issuer.counters.jwks).toBe(2)
    await b.getKey(selector)
    await b.idle()
    expect(issuer.counters.jwks).toBe(2)
    time.now = T0 + 2 * MINUTE - 1
    await b.getKey(selector)
    await b.idle()
    expect(issuer.counters.jwks).toBe(2)
  })

  it('a store holding garbage is ignored, not trusted', async () => {
    const { issuer, selector, make, time } = await setup()
    const inner = createMemoryKeyStore({ clock: () => time.now })
    const store: KeyStore = {
      ...inner,
      get: async () => ({
        jwks: { keys: 'nope' } as never,
        fetchedAt: time.now,
        expiresAt: time.now + MINUTE,
      }),
    }
    const source = make({ store })
    expect((await source.getKey(selector)).kid).toBe(selector.kid)
    expect(issuer.counters.jwks).toBe(1)
  })

  it('a failing store never stops verification', async () => {
    const { issuer, selector, make } = await setup()
    const fail = () => Promise.reject(new Error('store down'))
    const store: KeyStore = { get: fail, set: fail, delete: fail, acquire: fail, release: fail }
    const source = make({ store })
    expect((await source.getKey(selector)).kid).toBe(selector.kid)
    expect(issuer.counters.jwks).toBe(1)
  })
})

describe('createRemoteJWKS: configuration', () => {
  const bad: Array<[string, Partial<RemoteJWKSOptions>]> = [
    ['no jwksUri nor issuer', { jwksUri: undefined }],
    ['a relative jwksUri', { jwksUri: '/jwks.json' }],
    ['a non-http jwksUri', { jwksUri: 'ftp://127.0.0.1/jwks' }],
    ['an unknown strategy', { strategy: 'sometimes' as never }],
    ['refreshAhead above 1', { refreshAhead: 1.5 }],
    ['refreshAhead of 0', { refreshAhead: 0 }],
    ['a bad duration', { maxAge: 'soon' }],
    ['maxUses of 0', { maxUses: 0 }],
    ['minMaxAge above maxMaxAge', { minMaxAge: '2d', maxMaxAge: '1d' }],
  ]
  for (const [name, options] of bad) {
    it(`rejects ${name} at construction`, () => {
      let code: string | undefined
      try {
        createRemoteJWKS({ jwksUri: 'https://issuer.test/jwks', ...options } as RemoteJWKSOptions)
      } catch (error) {
        code = AuthError.is(error) ? error.code : 'not an AuthError'
      }
      expect(code).toBe('ERR_CONFIGURATION')
    })
  }
})
