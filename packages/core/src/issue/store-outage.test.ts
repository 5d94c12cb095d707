import { describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../errors.js'
import { createMemoryIssuerStore } from './memory-store.js'
import type { IssuerStore } from './store.js'
import { ADMIN_TOKEN, basic, setup } from './test-fixtures.js'

const IDENTIFIER = '6f1c3a52-8f0e-4c1b-9d7a-2b3c4d5e6f70'
const RETRY_AFTER = 7

/** A memory store whose every method rejects with `StoreUnavailableError` while `down`. */
function flakyStore() {
  const state = { down: false }
  const inner = createMemoryIssuerStore()
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) =>
        state.down
          ? Promise.reject(new StoreUnavailableError('The database is down', RETRY_AFTER))
          : value.apply(target, args)
    },
  }) as IssuerStore & typeof inner
  return { store, state }
}

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

async function expect503(response: Response, body?: unknown) {
  expect(response.status).toBe(503)
  expect(response.headers.get('retry-after')).toBe(String(RETRY_AFTER))
  const parsed = await response.json()
  if (body !== undefined) expect(parsed).toEqual(body)
  else expect(parsed).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
}

describe('store outages answer 503 with Retry-After', () => {
  it('on every route that needs the store, once the keys are loaded; key-only routes keep working', async () => {
    const { store, state } = flakyStore()
    const fx = setup({ jwthenticator: {} }, store)
    const { id, key } = await fx.issuer.apiKeys.create({ subject: 'svc', name: 'ci', permissions: ['read'] })
    const tokens = await (
      await fx.post('/token', { grant_type: 'client_credentials' }, { authorization: basic(id, key) })
    ).json()
    const register = await fx.request('/register_key', json({ key: 'k1', identifier: IDENTIFIER }))
    expect(register.status).toBe(201)
    const jwt = await (await fx.request('/authenticate', json({ key: 'k1', identifier: IDENTIFIER }))).json()

    state.down = true
    // Past the key ring's reload: it fails, and the keys in memory keep serving.
    fx.clock.advance(61_000)
    const client = { authorization: basic(id, key) }
    await expect503(await fx.post('/token', { grant_type: 'client_credentials' }, client))
    await expect503(
      await fx.post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, client),
    )
    await expect503(await fx.post('/revoke', { token: tokens.refresh_token }, client))
    await expect503(await fx.post('/introspect', { token: tokens.refresh_token }, admin))
    await expect503(await fx.request('/admin/api-keys', { headers: admin }))
    await expect503(await fx.request(`/admin/api-keys/${id}`, { headers: admin }))
    await expect503(await fx.request(`/admin/api-keys/${id}`, { method: 'DELETE', headers: admin }))
    await expect503(
      await fx.request('/admin/api-keys', {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: 'x', name: 'y' }),
      }),
    )
    for (const [path, body] of [
      ['/register_key', { key: 'k2', identifier: IDENTIFIER }],
      ['/is_key_registered', { key: 'k1' }],
      ['/authenticate', { key: 'k1', identifier: IDENTIFIER }],
      ['/refresh', { refresh_token: jwt.refresh_token, identifier: IDENTIFIER }],
    ] as const) {
      await expect503(await fx.request(path, json(body)), {})
    }
    // Verification needs only the keys, which this process holds.
    const introspected = await fx.post('/introspect', { token: tokens.access_token }, admin)
    expect(await introspected.json()).toMatchObject({ active: true })
    expect((await fx.request('/.well-known/jwks.json')).status).toBe(200)
    expect((await fx.request('/jwks')).status).toBe(200)
    expect(
      (await fx.request('/auth/decide', { headers: { authorization: `Bearer ${tokens.access_token}` } }))
        .status,
    ).toBe(200)
    expect(await (await fx.request('/validate', json({ jwt: jwt.jwt }))).json()).toEqual({ result: true })
    expect(
      (await fx.request('/validate_request', { headers: { authorization: `Bearer ${jwt.jwt}` } })).status,
    ).toBe(200)

    state.down = false
    expect((await fx.post('/token', { grant_type: 'client_credentials' }, client)).status).toBe(200)
  })

  it('on a process that never loaded its keys: 503, and /validate_request 401 with Retry-After', async () => {
    const { store, state } = flakyStore()
    const warm = setup({ jwthenticator: {} }, store)
    await warm.request('/register_key', json({ key: 'k1', identifier: IDENTIFIER }))
    const jwt = await (
      await warm.request('/authenticate', json({ key: 'k1', identifier: IDENTIFIER }))
    ).json()
    const { accessToken } = await warm.issuer.createToken({ subject: 'svc' })

    state.down = true
    const cold = setup({ jwthenticator: {} }, store)
    await expect503(await cold.request('/.well-known/jwks.json'))
    await expect503(await cold.post('/introspect', { token: accessToken }, admin))
    await expect503(await cold.request('/jwks'), {})
    await expect503(await cold.request('/validate', json({ jwt: jwt.jwt })), {})
    const nginx = await cold.request('/validate_request', { headers: { authorization: `Bearer ${jwt.jwt}` } })
    expect(nginx.status).toBe(401)
    expect(nginx.headers.get('retry-after')).toBe(String(RETRY_AFTER))
    expect(await nginx.json()).toEqual({})
    // The reverse-proxy decision fails closed too.
    expect(
      (await cold.request('/auth/decide', { headers: { authorization: `Bearer ${accessToken}` } })).status,
    ).toBe(401)
    await expect(cold.issuer.createToken({ subject: 'svc' })).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    })
  })
})

describe('a refresh token that fails to store while the key ring is still loading', () => {
  it('is a 503 for that request and never an unhandled rejection (which ends a Node process)', async () => {
    const inner = createMemoryIssuerStore()
    const { id, key } = await setup({}, inner).issuer.apiKeys.create({ subject: 'svc', name: 'ci' })
    // A cold process: loading the signing keys takes a turn of the event loop, and the insert of
    // the refresh token fails at once (the database went away between the two).
    const store = new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver)
        if (name === 'createRefreshToken') {
          return () => Promise.reject(new StoreUnavailableError('The database is down', RETRY_AFTER))
        }
        if (name === 'getSigningKeys') {
          return () => new Promise((resolve) => setTimeout(() => resolve(inner.getSigningKeys()), 20))
        }
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as typeof inner
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const fx = setup({}, store)
      const response = await fx.post(
        '/token',
        { grant_type: 'client_credentials' },
        { authorization: basic(id, key) },
      )
      await expect503(response)
      // Node reports unhandled rejections after the microtask queue drains: give it a turn.
      await new Promise((resolve) => setTimeout(resolve, 0))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
