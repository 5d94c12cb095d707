import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthenticationError,
  type Client,
  ClientError,
  type ClientOptions,
  createClient,
  createMemoryTokenStore,
  type StoredTokens,
} from '../src/index.js'
import { fakeClock, type Harness, limitedFetch, startHarness } from './harness.js'

const LIFETIME_MS = 15 * 60_000 // the issuer's default accessTokenTtl

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h.close()
})

const tokenHits = () => h.hits.get('/token') ?? 0

/** Polls for a condition the client reaches on its own (a background refresh), with a bound. */
async function until(condition: () => boolean, what: string) {
  for (let i = 0; i < 500; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function setup(options: Partial<ClientOptions> = {}) {
  const { id, key } = await h.createKey()
  const clock = fakeClock()
  const store = createMemoryTokenStore({ clock: clock.wall })
  const client = createClient({
    issuer: h.issuerUrl,
    key,
    origins: [h.apiUrl],
    now: clock.now,
    wallClock: clock.wall,
    sleep: clock.sleep,
    random: () => 0,
    refreshJitter: 0,
    store,
    storeKey: 'test',
    ...options,
  })
  const stored = async () => (await store.get('test')) as StoredTokens
  return { id, key, clock, client, store, stored }
}

async function status(client: Client, path = '/orders') {
  return (await client.fetch(`${h.apiUrl}${path}`)).status
}

describe('createClient against the real Keygate issuer', () => {
  it('authenticates with the key on the first call, through the discovered token endpoint', async () => {
    const metadataBefore = h.hits.get('/.well-known/oauth-authorization-server') ?? 0
    const before = tokenHits()
    const { client } = await setup()
    const res = await client.fetch(`${h.apiUrl}/orders`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ subject: 'billing-svc' })
    expect(await status(client)).toBe(200)
    expect(tokenHits() - before).toBe(1)
    expect(h.grants.at(-1)).toBe('client_credentials')
    expect((h.hits.get('/.well-known/oauth-authorization-server') ?? 0) - metadataBefore).toBe(1)
  })

  it('refreshes ahead of expiry in the background, with no failed request', async () => {
    const { client, clock, stored } = await setup({ refreshMargin: '30s' })
    expect(await status(client)).toBe(200)
    const first = await stored()
    const before = tokenHits()
    // One millisecond before the refresh point: nothing happens.
    clock.advance(LIFETIME_MS - 30_000 - 1)
    expect(await status(client)).toBe(200)
    expect(tokenHits()).toBe(before)
    // At the refresh point the call goes out with the current token and a refresh starts.
    clock.advance(1)
    expect(await status(client)).toBe(200)
    await until(() => tokenHits() === before + 1, 'the background refresh')
    let second = first
    await until(() => {
      void stored().then((s) => {
        second = s
      })
      return second.accessToken !== first.accessToken
    }, 'the refreshed token in the store')
    expect(h.grants.at(-1)).toBe('refresh_token')
    expect(await status(client)).toBe(200)
    expect(await client.getToken()).toBe(second.accessToken)
    // Past expiry every caller waits for the successor, and none fails.
    clock.advance(LIFETIME_MS + 1)
    expect(await status(client)).toBe(200)
    expect(tokenHits()).toBe(before + 2)
    expect(h.apiSeen.filter((s) => s.status !== 200 && s.path === '/orders')).toEqual([])
  })

  it('refreshes at margin plus jitter before expires_in runs out, whatever the wall clock says', async () => {
    // The wall clock is a year behind: only the monotonic clock decides within a process.
    const yearAgo = () => Date.now() - 365 * 86_400_000
    const { client, clock } = await setup({
      refreshMargin: '30s',
      refreshJitter: '10s',
      random: () => 0.5,
      wallClock: yearAgo,
      store: undefined,
    })
    const first = await client.getToken()
    const before = tokenHits()
    clock.advance(LIFETIME_MS - 35_000 - 1)
    expect(await client.getToken()).toBe(first)
    expect(tokenHits()).toBe(before)
    clock.advance(1)
    // The refresh point: the current token still goes out while the refresh runs.
    expect(await client.getToken()).toBe(first)
    await until(() => tokenHits() === before + 1, 'the background refresh')
    let next = first
    await until(() => {
      void client.getToken().then((t) => {
        next = t
      })
      return next !== first
    }, 'the new token')
    expect(tokenHits()).toBe(before + 1)
  })

  it('replays the body of a Request input after a 401', async () => {
    const { client } = await setup()
    h.refuse(await client.getToken())
    const seen = h.apiSeen.length
    const request = new Request(`${h.apiUrl}/echo`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 7 }),
    })
    const res = await client.fetch(request)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ method: 'PUT', body: '{"id":7}' })
    expect(h.apiSeen.slice(seen).map((s) => s.status)).toEqual([401, 200])
    // A URL object is an input like any other.
    expect((await client.fetch(new URL(`${h.apiUrl}/orders`))).status).toBe(200)
  })

  it('refreshes once for 1000 concurrent calls on an expired token', async () => {
    // The calls are concurrent; their sockets are pooled, as any HTTP agent would.
    const { client, clock } = await setup({ fetch: limitedFetch(32) })
    expect(await status(client)).toBe(200)
    clock.advance(LIFETIME_MS + 1)
    const before = tokenHits()
    const statuses = await Promise.all(Array.from({ length: 1000 }, () => status(client)))
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(tokenHits() - before).toBe(1)
    expect(h.grants.at(-1)).toBe('refresh_token')
  }, 60_000)

  it('keeps the rotated refresh token and uses the successor next time', async () => {
    const { client, clock, stored } = await setup()
    await client.getToken()
    const tokens = [(await stored()).refreshToken]
    for (let i = 0; i < 3; i++) {
      clock.advance(LIFETIME_MS + 1)
      await client.getToken()
      tokens.push((await stored()).refreshToken)
    }
    expect(tokens.every((t) => typeof t === 'string')).toBe(true)
    expect(new Set(tokens).size).toBe(4)
    expect(h.grants.slice(-3)).toEqual(['refresh_token', 'refresh_token', 'refresh_token'])
  })

  it('falls back to the key after an issuer restart that revoked its refresh token', async () => {
    const { client, clock, stored } = await setup()
    expect(await status(client)).toBe(200)
    h.restartIssuer()
    await h.issuer().revokeRefreshToken((await stored()).refreshToken!)
    clock.advance(LIFETIME_MS + 1)
    const before = tokenHits()
    expect(await status(client)).toBe(200)
    expect(tokenHits() - before).toBe(2)
    expect(h.grants.slice(-2)).toEqual(['refresh_token', 'client_credentials'])
    // The new chain refreshes normally.
    clock.advance(LIFETIME_MS + 1)
    expect(await status(client)).toBe(200)
    expect(h.grants.at(-1)).toBe('refresh_token')
  })

  it('reports a revoked key as AuthenticationError, with backoff instead of a loop', async () => {
    const { client, clock, id, key } = await setup({ backoff: { initial: '1s', max: '1m' } })
    expect(await status(client)).toBe(200)
    await h.issuer().apiKeys.revoke(id)
    clock.advance(LIFETIME_MS + 1)
    const before = tokenHits()
    const error = await client.fetch(`${h.apiUrl}/orders`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect((error as AuthenticationError).code).toBe('ERR_KEY_REJECTED')
    expect((error as AuthenticationError).status).toBe(401)
    expect((error as AuthenticationError).retryAfterMs).toBe(1000)
    expect(tokenHits() - before).toBe(1)
    // Neither the key nor any token is in what the error says.
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(key)
    expect((error as Error).message).not.toContain(key)
    // During the backoff: the same error, no request to the issuer.
    const during = await Promise.all(
      Array.from({ length: 50 }, () => client.getToken().catch((e: unknown) => e as ClientError)),
    )
    expect(during.every((e) => ClientError.is(e) && e.code === 'ERR_KEY_REJECTED')).toBe(true)
    expect(tokenHits() - before).toBe(1)
    clock.advance(1000)
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_KEY_REJECTED', retryAfterMs: 2000 })
    expect(tokenHits() - before).toBe(2)
    clock.advance(1999)
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_KEY_REJECTED' })
    expect(tokenHits() - before).toBe(2)
    clock.advance(1)
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_KEY_REJECTED', retryAfterMs: 4000 })
    expect(tokenHits() - before).toBe(3)
  })

  it('refreshes and retries once on 401 invalid_token, replaying a JSON body', async () => {
    const { client, stored } = await setup()
    const first = await client.getToken()
    h.refuse(first)
    const before = tokenHits()
    const seen = h.apiSeen.length
    const res = await client.post(`${h.apiUrl}/echo`, { order: 42 })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ method: 'POST', body: '{"order":42}' })
    expect(h.apiSeen.slice(seen).map((s) => s.status)).toEqual([401, 200])
    expect(tokenHits() - before).toBe(1)
    expect(h.grants.at(-1)).toBe('refresh_token')
    expect((await stored()).accessToken).not.toBe(first)
  })

  it('retries at most once when the new token is refused too', async () => {
    const { client } = await setup()
    await client.getToken()
    const seen = h.apiSeen.length
    const before = tokenHits()
    h.refuseAll(true)
    try {
      const res = await client.fetch(`${h.apiUrl}/orders`)
      expect(res.status).toBe(401)
      expect(h.apiSeen.slice(seen).map((s) => s.status)).toEqual([401, 401])
      expect(tokenHits() - before).toBe(1)
    } finally {
      h.refuseAll(false)
    }
  })

  it('sends a one-shot stream body once and returns the 401', async () => {
    const { client } = await setup()
    h.refuse(await client.getToken())
    const seen = h.apiSeen.length
    const before = tokenHits()
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk'))
        controller.close()
      },
    })
    const res = await client.fetch(`${h.apiUrl}/echo`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(401)
    expect(h.apiSeen.slice(seen).map((s) => s.status)).toEqual([401])
    // The refused token is not used again: the next call brings a new one.
    expect(await status(client)).toBe(200)
    expect(tokenHits() - before).toBe(1)
  })

  it('never answers 403 or a long Retry-After with a new token or a retry', async () => {
    const { client } = await setup({ maxRetryAfter: '1s' })
    await client.getToken()
    const before = tokenHits()
    let seen = h.apiSeen.length
    expect(await status(client, '/forbidden')).toBe(403)
    expect(h.apiSeen.length - seen).toBe(1)
    seen = h.apiSeen.length
    expect(await status(client, '/unavailable?after=5&case=long')).toBe(503)
    expect(h.apiSeen.length - seen).toBe(1)
    expect(tokenHits()).toBe(before)
  })

  it('retries a 503 once when its Retry-After is short', async () => {
    const { client } = await setup({ maxRetryAfter: '1s' })
    await client.getToken()
    const seen = h.apiSeen.length
    const res = await client.post(`${h.apiUrl}/unavailable?after=1&case=short`, { again: true })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ body: '{"again":true}' })
    expect(h.apiSeen.slice(seen).map((s) => s.status)).toEqual([503, 200])
  })

  it('sends the token only to the listed origins', async () => {
    const { client } = await setup()
    const seen = h.otherSeen.length
    const res = await client.fetch(`${h.otherUrl}/elsewhere`)
    expect(res.status).toBe(200)
    expect(h.otherSeen.slice(seen)).toEqual([{ path: '/elsewhere', authorization: undefined }])
    // Same host, other port: another origin.
    expect(new URL(h.otherUrl).hostname).toBe(new URL(h.apiUrl).hostname)
  })

  it('drops the token on a redirect to another origin and keeps it on a same-origin one', async () => {
    const { client } = await setup()
    const seen = h.otherSeen.length
    const cross = await client.fetch(`${h.apiUrl}/redirect?status=307&to=other:/landing`, {
      method: 'POST',
      body: 'payload',
    })
    expect(cross.status).toBe(200)
    expect(await cross.json()).toEqual({ other: true })
    expect(h.otherSeen.slice(seen)).toEqual([{ path: '/landing', authorization: undefined }])
    // The first hop did carry it (its origin is listed).
    expect(h.apiSeen.filter((s) => s.path === '/redirect').at(-1)?.authorization).toMatch(/^Bearer /)

    const same = await client.fetch(`${h.apiUrl}/redirect?status=303&to=/orders`, {
      method: 'POST',
      body: 'x',
    })
    expect(same.status).toBe(200)
    expect(await same.json()).toMatchObject({ subject: 'billing-svc', method: 'GET', body: '' })

    const manual = await client.fetch(`${h.apiUrl}/redirect?status=302&to=other:/never`, {
      redirect: 'manual',
    })
    expect(manual.status).toBe(302)
    expect(h.otherSeen.some((s) => s.path === '/never')).toBe(false)
    await expect(
      client.fetch(`${h.apiUrl}/redirect?status=302&to=/orders`, { redirect: 'error' }),
    ).rejects.toBeInstanceOf(TypeError)
  })

  it('keeps the refresh token when the issuer does not rotate it (never replaced with nothing)', async () => {
    const noRotation = await startHarness({ refreshRotation: { enabled: false } })
    try {
      const { key } = await noRotation.createKey()
      const clock = fakeClock()
      const store = createMemoryTokenStore({ clock: clock.wall })
      const client = createClient({
        issuer: noRotation.issuerUrl,
        key,
        origins: [noRotation.apiUrl],
        now: clock.now,
        wallClock: clock.wall,
        store,
        storeKey: 'k',
      })
      await client.getToken()
      const refreshToken = (await store.get('k'))?.refreshToken
      expect(refreshToken).toBeTypeOf('string')
      for (let i = 0; i < 2; i++) {
        clock.advance(LIFETIME_MS + 1)
        await client.getToken()
        expect((await store.get('k'))?.refreshToken).toBe(refreshToken)
      }
      expect(noRotation.grants).toEqual(['client_credentials', 'refresh_token', 'refresh_token'])
    } finally {
      await noRotation.close()
    }
  })

  it('shares one token and one refresh between clients on one store, through the lease', async () => {
    const { key } = await h.createKey()
    const clock = fakeClock()
    const store = createMemoryTokenStore({ clock: clock.wall })
    const make = () =>
      createClient({
        issuer: h.issuerUrl,
        key,
        origins: [h.apiUrl],
        now: clock.now,
        wallClock: clock.wall,
        sleep: clock.sleep,
        store,
        lease: { pollInterval: 5 },
      })
    const clients = [make(), make(), make()]
    const before = tokenHits()
    const first = await Promise.all(clients.map((c) => c.getToken()))
    expect(new Set(first).size).toBe(1)
    expect(tokenHits() - before).toBe(1)
    clock.advance(LIFETIME_MS + 1)
    const second = await Promise.all(clients.map((c) => c.getToken()))
    expect(new Set(second).size).toBe(1)
    expect(second[0]).not.toBe(first[0])
    expect(tokenHits() - before).toBe(2)
  })

  it('names store entries by issuer, key id and scope, never by the secret', async () => {
    const { id, key } = await h.createKey(['orders:read', 'orders:write'])
    const inner = createMemoryTokenStore()
    const keys: string[] = []
    const store = {
      ...inner,
      get: (k: string) => {
        keys.push(k)
        return inner.get(k)
      },
    }
    const client = createClient({
      issuer: h.issuerUrl,
      key,
      origins: [h.apiUrl],
      store,
      scope: ['orders:read'],
    })
    await client.getToken()
    expect(keys.length).toBeGreaterThan(0)
    for (const k of keys) {
      expect(k).toContain(id)
      expect(k).toContain('orders:read')
      expect(k).not.toContain(key.slice(`kg_${id}_`.length))
    }
  })

  it('passes abort signals through and stops after close()', async () => {
    const { client } = await setup()
    const controller = new AbortController()
    controller.abort()
    await expect(client.fetch(`${h.apiUrl}/orders`, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    })
    client.close()
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' })
    await expect(client.fetch(`${h.apiUrl}/orders`)).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' })
  })

  it('refuses metadata that names another issuer (RFC 8414 §3.3)', async () => {
    const { key } = await h.createKey()
    const client = createClient({ issuer: `${h.issuerUrl}/`, key, origins: [h.apiUrl] })
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_DISCOVERY' })
  })

  it('uses a given tokenEndpoint without discovery', async () => {
    const { key } = await h.createKey()
    const metadataBefore = h.hits.get('/.well-known/oauth-authorization-server') ?? 0
    const client = createClient({
      issuer: 'https://auth.example',
      tokenEndpoint: `${h.issuerUrl}/token`,
      key,
      origins: [h.apiUrl],
    })
    expect(await status(client)).toBe(200)
    expect(h.hits.get('/.well-known/oauth-authorization-server') ?? 0).toBe(metadataBefore)
  })

  it('reports an unreachable issuer as ERR_ISSUER_UNAVAILABLE', async () => {
    const { key } = await h.createKey()
    const client = createClient({ issuer: 'http://127.0.0.1:9', key, origins: [h.apiUrl] })
    await expect(client.getToken()).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' })
  })

  it('refuses bad options at construction', () => {
    const base = { issuer: h.issuerUrl, key: 'kg_0123456789abcdef_x', origins: [h.apiUrl] }
    expect(() => createClient({ ...base, origins: [] })).toThrow(
      expect.objectContaining({ code: 'ERR_CLIENT_CONFIGURATION' }),
    )
    expect(() => createClient({ ...base, origins: [`${h.apiUrl}/path`] })).toThrow(
      expect.objectContaining({ code: 'ERR_CLIENT_CONFIGURATION' }),
    )
    expect(() => createClient({ ...base, issuer: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'ERR_CLIENT_CONFIGURATION' }),
    )
    expect(() => createClient({ ...base, key: 'not-a-keygate-key' })).toThrow(
      expect.objectContaining({ code: 'ERR_CLIENT_CONFIGURATION' }),
    )
    expect(() => createClient({ ...base, refreshMargin: 'soon' })).toThrow(
      expect.objectContaining({ code: 'ERR_CLIENT_CONFIGURATION' }),
    )
    expect(() => createClient({ ...base, protocol: 'jwthenticator' })).toThrow(
      expect.objectContaining({ code: 'ERR_CLIENT_CONFIGURATION' }),
    )
  })
})
