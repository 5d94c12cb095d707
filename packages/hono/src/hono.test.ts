import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { type Auth, createAuth } from '@keygate/core'
import {
  type AdapterKit,
  createAdapterKit,
  SCENARIO_REQUIREMENT,
  sendRawRequest,
} from '@keygate/core/testing'
import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthEnv,
  AuthError,
  authenticate,
  authorize,
  ConfigurationError,
  getAuth,
  withAuth,
} from './index.js'

const kit: AdapterKit = await createAdapterKit()
const auth: Auth = createAuth(kit.authOptions)

afterAll(async () => {
  auth.close()
  await kit.close()
})

function buildApp(auth: Auth) {
  const app = new Hono()
  app.onError((error, c) => c.json({ bug: AuthError.is(error) ? error.code : 'other' }, 500))
  app.get('/protected', authenticate(auth), (c) =>
    c.json({ subject: c.var.auth.subject, claims: c.var.auth.claims }),
  )
  app.get('/scoped', authenticate(auth), authorize(SCENARIO_REQUIREMENT), (c) => {
    const principal = getAuth(c)
    return c.json({ subject: principal.subject, claims: principal.claims })
  })
  app.get('/optional', authenticate(auth, { optional: true }), (c) => {
    const principal = c.var.auth
    return c.json(principal ? { subject: principal.subject, claims: principal.claims } : { anonymous: true })
  })
  app.get('/cookie', authenticate(auth, { getToken: (c) => getCookie(c, 'session') }), (c) =>
    c.json({ subject: c.var.auth.subject }),
  )
  app.get(
    '/custom',
    authenticate(auth, {
      realm: 'orders',
      onError: (error, c) => (error.status === 401 ? c.json({ custom: error.code }, 401) : undefined),
    }),
    (c) => c.text('ok'),
  )
  app.get('/unauthenticated', (c) => c.json({ subject: getAuth(c).subject }))
  app.get('/authorize-only', authorize(SCENARIO_REQUIREMENT), (c) => c.text('ok'))
  app.get('/optional-scoped', authenticate(auth, { optional: true }), authorize(SCENARIO_REQUIREMENT), (c) =>
    c.text('ok'),
  )
  app.get('/optional-getauth', authenticate(auth, { optional: true }), (c) =>
    c.json({ s: getAuth(c).subject }),
  )
  app.get('/optional-getauth-ok', authenticate(auth, { optional: true }), (c) =>
    c.json({ anonymous: getAuth(c, { optional: true }) === undefined }),
  )
  return app
}

const app = buildApp(auth)
// The same routes over a token cache: a repeated token takes the same-turn path.
const cachingAuth: Auth = createAuth({ ...kit.authOptions, tokenCache: {} })
afterAll(() => cachingAuth.close())
const cachingApp = buildApp(cachingAuth)

describe('Hono 4 on @hono/node-server (real socket)', () => {
  let server: ServerType
  let url: string
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', (_n, scenario) => kit.run(scenario, url))
})

describe('Hono 4 authenticate with the token cache, through app.request', () => {
  it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', (_n, scenario) =>
    kit.run(scenario, async (path, init) => cachingApp.request(path, init)),
  )
  // Again: every valid token is now cached, and must get exactly the same answers.
  it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s (token cached)', (_n, scenario) =>
    kit.run(scenario, async (path, init) => cachingApp.request(path, init)),
  )
})

describe('Hono 4 through app.request', () => {
  it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', (_n, scenario) =>
    kit.run(scenario, async (path, init) => app.request(path, init)),
  )

  it('reads the token with a custom finder (cookie)', async () => {
    const token = await kit.main.sign({ sub: 'erin' })
    const ok = await app.request('/cookie', { headers: { cookie: `theme=dark; session=${token}` } })
    expect(await ok.json()).toEqual({ subject: 'erin' })
    const missing = await app.request('/cookie', { headers: { authorization: `Bearer ${token}` } })
    expect((await missing.json()).code).toBe('ERR_TOKEN_MISSING')
  })

  it('lets onError answer, and falls back to the default when it returns nothing', async () => {
    const custom = await app.request('/custom')
    expect(custom.status).toBe(401)
    expect(await custom.json()).toEqual({ custom: 'ERR_TOKEN_MISSING' })
    const fallback = await app.request('/custom', { headers: { authorization: 'Bearer ' } })
    expect(fallback.status).toBe(400)
    expect((await fallback.json()).code).toBe('ERR_INVALID_REQUEST')
    expect(fallback.headers.get('www-authenticate')).toContain('realm="orders"')
  })

  it('getAuth or authorize without authenticate is a ConfigurationError, not a 401', async () => {
    expect(await (await app.request('/unauthenticated')).json()).toEqual({ bug: 'ERR_CONFIGURATION' })
    const token = await kit.main.sign({ scope: 'write' })
    const res = await app.request('/authorize-only', { headers: { authorization: `Bearer ${token}` } })
    expect(await res.json()).toEqual({ bug: 'ERR_CONFIGURATION' })
  })

  it('optional routes: authorize answers 401 to anonymous callers, getAuth needs { optional: true }', async () => {
    const scoped = await app.request('/optional-scoped')
    expect(scoped.status).toBe(401)
    expect((await scoped.json()).code).toBe('ERR_TOKEN_MISSING')
    expect(await (await app.request('/optional-getauth')).json()).toEqual({ bug: 'ERR_CONFIGURATION' })
    expect(await (await app.request('/optional-getauth-ok')).json()).toEqual({ anonymous: true })
  })

  it('rejects a missing auth object when the middleware is created', () => {
    expect(() => authenticate(undefined as unknown as Auth)).toThrow(ConfigurationError)
  })

  it('validates a requirement once, when the middleware is created', () => {
    expect(() => authorize({ groups: { allOf: 'x' as unknown as string[] } })).toThrow(ConfigurationError)
  })

  it('mounts a fetch-style issuer in one line', async () => {
    const issuerApp = new Hono()
    const issuer = {
      handle: async (request: Request) => Response.json({ url: request.url, body: await request.text() }),
    }
    issuerApp.all('/oauth/*', (c) => issuer.handle(c.req.raw))
    const res = await issuerApp.request('/oauth/token', {
      method: 'POST',
      body: 'grant_type=client_credentials',
    })
    expect(await res.json()).toEqual({
      url: 'http://localhost/oauth/token',
      body: 'grant_type=client_credentials',
    })
  })
})

describe('withAuth: authentication, requirement and handler as one Hono handler', () => {
  // With the token cache, so a repeated token takes the same-turn path.
  const cachedAuth: Auth = createAuth({ ...kit.authOptions, tokenCache: {} })
  afterAll(() => cachedAuth.close())

  function buildWithAuthApp() {
    const app = new Hono()
    app.onError((error, c) => c.json({ bug: AuthError.is(error) ? error.code : 'other' }, 500))
    app.get(
      '/protected',
      withAuth(cachedAuth, (c) => c.json({ subject: c.var.auth.subject, claims: c.var.auth.claims })),
    )
    app.get(
      '/scoped',
      withAuth(cachedAuth, (c) => c.json({ subject: getAuth(c).subject, claims: getAuth(c).claims }), {
        requirement: SCENARIO_REQUIREMENT,
      }),
    )
    app.get(
      '/optional',
      withAuth(
        cachedAuth,
        (c) => {
          const principal = c.var.auth
          return c.json(
            principal ? { subject: principal.subject, claims: principal.claims } : { anonymous: true },
          )
        },
        { optional: true },
      ),
    )
    app.get(
      '/cookie',
      withAuth(cachedAuth, (c) => c.json({ subject: c.var.auth.subject }), {
        getToken: (c) => getCookie(c, 'session'),
        realm: 'orders',
      }),
    )
    return app
  }
  const withAuthApp = buildWithAuthApp()

  describe('on @hono/node-server (real socket)', () => {
    let server: ServerType
    let url: string
    beforeAll(async () => {
      await new Promise<void>((resolve) => {
        server = serve({ fetch: withAuthApp.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
      })
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', (_n, scenario) => kit.run(scenario, url))
    // Again: every valid token is now cached, and must get exactly the same answers.
    it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s (token cached)', (_n, scenario) =>
      kit.run(scenario, url),
    )
    it('refuses two Authorization lines with 400, the token cached or not', async () => {
      const token = await kit.main.sign({ sub: 'twice' })
      const lines = [
        ['Authorization', `Bearer ${token}`],
        ['authorization', `Bearer ${token}`],
      ] as const
      expect((await sendRawRequest(`${url}/protected`, lines)).status).toBe(400)
      expect(
        (await fetch(`${url}/protected`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200)
      const answer = await sendRawRequest(`${url}/protected`, lines)
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body).code).toBe('ERR_INVALID_REQUEST')
    })
  })

  it.each(kit.scenarios.map((s) => [s.name, s] as const))('through app.request: %s', (_n, scenario) =>
    kit.run(scenario, async (path, init) => withAuthApp.request(path, init)),
  )

  it('answers a cached token in the same turn, and verifies anything else first', async () => {
    const token = await kit.main.sign({ sub: 'frank' })
    const inner = withAuth(cachedAuth, (c) => c.text(String(c.var.auth.subject)))
    const turns: boolean[] = []
    const probe = new Hono<AuthEnv>()
    probe.get('/r', (c) => {
      const answer = inner(c, async () => {})
      turns.push(!(answer instanceof Promise))
      return answer
    })
    const call = (authorization: string) => probe.request('/r', { headers: { authorization } })
    expect(await (await call(`Bearer ${token}`)).text()).toBe('frank')
    expect(await (await call(`Bearer ${token}`)).text()).toBe('frank')
    expect((await call(`Bearer ${token}x`)).status).toBe(401)
    expect(turns).toEqual([false, true, false])
  })

  it('authenticate: a cached token reaches next in the same turn (issue 17), anything else after verifying', async () => {
    const token = await kit.main.sign({ sub: 'hank' })
    const middleware = authenticate(cachedAuth)
    const sameTurn: boolean[] = []
    const probe = new Hono<AuthEnv>()
    probe.get('/r', async (c) => {
      let called = false
      const pending = middleware(c, async () => {
        called = true
      })
      sameTurn.push(called)
      const refused = await pending
      return refused ?? c.text(String(c.var.auth.subject))
    })
    const call = (authorization: string) => probe.request('/r', { headers: { authorization } })
    expect(await (await call(`Bearer ${token}`)).text()).toBe('hank')
    expect(await (await call(`Bearer ${token}`)).text()).toBe('hank')
    expect((await call(`Bearer ${token}x`)).status).toBe(401)
    expect(sameTurn).toEqual([false, true, false])
  })

  it('takes a custom token finder and realm, and rejects bad wiring at start-up', async () => {
    const token = await kit.main.sign({ sub: 'gina' })
    const ok = await withAuthApp.request('/cookie', { headers: { cookie: `session=${token}` } })
    expect(await ok.json()).toEqual({ subject: 'gina' })
    const missing = await withAuthApp.request('/cookie', { headers: { authorization: `Bearer ${token}` } })
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="orders"')
    expect(() => withAuth(undefined as unknown as Auth, (c) => c.text('x'))).toThrow(ConfigurationError)
    expect(() =>
      withAuth(cachedAuth, (c) => c.text('x'), { requirement: { scopes: 'x' as unknown as string[] } }),
    ).toThrow(ConfigurationError)
  })
})
