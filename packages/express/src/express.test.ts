import type { AddressInfo } from 'node:net'
import { type Auth, createAuth } from '@keygate/core'
import {
  type AdapterKit,
  createAdapterKit,
  SCENARIO_REQUIREMENT,
  sendRawRequest,
} from '@keygate/core/testing'
import express5, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, type AuthRequest, authenticate, authorize, ConfigurationError, getAuth } from './index.js'

const kit: AdapterKit = await createAdapterKit()
const auth: Auth = createAuth(kit.authOptions)
// With the token cache: a repeated token takes the same-turn path (auth.cachedPrincipal).
const cachedAuth: Auth = createAuth({ ...kit.authOptions, tokenCache: {} })

afterAll(async () => {
  auth.close()
  cachedAuth.close()
  await kit.close()
})

function reply(req: Request, res: Response) {
  const principal = getAuth(req)
  res.json({ subject: principal.subject, claims: principal.claims })
}

// A bug handler that reveals the code, so tests can tell a ConfigurationError from other 500s.
const onBug: ErrorRequestHandler = (error, _req, res, _next) => {
  res.status(500).json({ bug: AuthError.is(error) ? error.code : 'other' })
}

function buildApp(createApp: () => Express, auth: Auth): Express {
  const app = createApp()
  app.get('/protected', authenticate(auth), reply)
  app.get('/scoped', authenticate(auth), authorize(SCENARIO_REQUIREMENT), reply)
  app.get('/optional', authenticate(auth, { optional: true }), (req, res) => {
    const principal = getAuth(req, { optional: true })
    res.json(principal ? { subject: principal.subject, claims: principal.claims } : { anonymous: true })
  })
  app.get('/typed', authenticate(auth), (req: AuthRequest, res) => res.json({ subject: req.auth?.subject }))
  app.get(
    '/cookie',
    authenticate(auth, {
      getToken: (req) => /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1],
    }),
    reply,
  )
  app.get(
    '/custom',
    authenticate(auth, {
      realm: 'orders',
      onError: (error, _req, res) => {
        if (error.status === 401) res.status(401).json({ custom: error.code })
      },
    }),
    reply,
  )
  app.get(
    '/hook-throws',
    authenticate(auth, {
      onError: () => {
        throw new Error('hook bug')
      },
    }),
    reply,
  )
  app.get('/unauthenticated', reply)
  app.get('/authorize-only', authorize(SCENARIO_REQUIREMENT), reply)
  app.get('/optional-scoped', authenticate(auth, { optional: true }), authorize(SCENARIO_REQUIREMENT), reply)
  app.get('/optional-getauth', authenticate(auth, { optional: true }), reply)
  // What express-jwt and others do: put their own value on req.auth.
  const foreign = (req: Request, _res: Response, next: () => void) => {
    ;(req as AuthRequest).auth = { subject: 'forged', claims: { sub: 'forged' } } as AuthRequest['auth']
    next()
  }
  app.get('/foreign-only', foreign, reply)
  app.get('/optional-then-foreign', authenticate(auth, { optional: true }), foreign, (req, res) => {
    const principal = getAuth(req, { optional: true })
    res.json(principal ? { subject: principal.subject } : { anonymous: true })
  })
  app.get('/foreign-then-authenticate', foreign, authenticate(auth), reply)
  app.use(onBug)
  return app
}

async function listen(app: Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await new Promise<ReturnType<Express['listen']>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

const versions: [string, () => Express][] = [
  ['Express 5', () => express5()],
  ['Express 4', () => express4()],
]

describe.each(versions)('%s', (_name, createApp) => {
  let server: { url: string; close: () => Promise<void> }
  let cached: { url: string; close: () => Promise<void> }
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers })

  beforeAll(async () => {
    server = await listen(buildApp(createApp, auth))
    cached = await listen(buildApp(createApp, cachedAuth))
  })
  afterAll(async () => {
    await server.close()
    await cached.close()
  })

  describe('shared scenarios over a real socket', () => {
    it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', (_n, scenario) =>
      kit.run(scenario, server.url),
    )
  })

  describe('shared scenarios with the token cache, twice (the second pass answers from the cache)', () => {
    it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', async (_n, scenario) => {
      await kit.run(scenario, cached.url)
      await kit.run(scenario, cached.url)
    })
  })

  it('refuses two Authorization lines (Node keeps only the first) with 400, cached or not', async () => {
    const token = await kit.main.sign({ sub: 'twice' })
    for (const { url } of [server, cached]) {
      // Once alone first, so the cached server holds the token.
      expect(
        (await fetch(`${url}/protected`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200)
      const answer = await sendRawRequest(`${url}/protected`, [
        ['Authorization', `Bearer ${token}`],
        ['authorization', `Bearer ${token}`],
      ])
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body).code).toBe('ERR_INVALID_REQUEST')
      expect(answer.headers['www-authenticate']).toContain('error="invalid_request"')
    }
  })

  it('types req.auth on an AuthRequest', async () => {
    const token = await kit.main.sign({ sub: 'dora' })
    const res = await get('/typed', { authorization: `Bearer ${token}` })
    expect(await res.json()).toEqual({ subject: 'dora' })
  })

  it('reads the token with a custom finder (cookie)', async () => {
    const token = await kit.main.sign({ sub: 'erin' })
    const ok = await get('/cookie', { cookie: `theme=dark; session=${token}` })
    expect(ok.status).toBe(200)
    expect((await ok.json()).subject).toBe('erin')
    // The finder replaces bearer extraction: a header alone is "no token".
    const missing = await get('/cookie', { authorization: `Bearer ${token}` })
    expect(missing.status).toBe(401)
    expect((await missing.json()).code).toBe('ERR_TOKEN_MISSING')
  })

  it('lets onError render the error, and falls back to the default when it sends nothing', async () => {
    const custom = await get('/custom')
    expect(custom.status).toBe(401)
    expect(await custom.json()).toEqual({ custom: 'ERR_TOKEN_MISSING' })
    const fallback = await get('/custom', { authorization: 'Bearer ' })
    expect(fallback.status).toBe(400)
    expect((await fallback.json()).code).toBe('ERR_INVALID_REQUEST')
    expect(fallback.headers.get('www-authenticate')).toContain('realm="orders"')
  })

  it('sends a throwing hook to next(err), as a bug', async () => {
    const res = await get('/hook-throws')
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ bug: 'other' })
  })

  it('getAuth without authenticate is a ConfigurationError, not a 401', async () => {
    const res = await get('/unauthenticated')
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ bug: 'ERR_CONFIGURATION' })
    const token = await kit.main.sign({ scope: 'write' })
    const authorizeOnly = await get('/authorize-only', { authorization: `Bearer ${token}` })
    expect(await authorizeOnly.json()).toEqual({ bug: 'ERR_CONFIGURATION' })
  })

  it("never takes another middleware's req.auth for a principal", async () => {
    const token = await kit.main.sign({ sub: 'gwen' })
    for (const { url } of [server, cached]) {
      // Twice: the second request of the cached server answers from the token cache.
      for (let i = 0; i < 2; i++) {
        const foreignOnly = await fetch(`${url}/foreign-only`)
        expect(await foreignOnly.json()).toEqual({ bug: 'ERR_CONFIGURATION' })
        const anonymous = await fetch(`${url}/optional-then-foreign`)
        expect(await anonymous.json()).toEqual({ anonymous: true })
        const signedIn = await fetch(`${url}/optional-then-foreign`, {
          headers: { authorization: `Bearer ${token}` },
        })
        expect(await signedIn.json()).toEqual({ bug: 'ERR_CONFIGURATION' })
        const overwritten = await fetch(`${url}/foreign-then-authenticate`, {
          headers: { authorization: `Bearer ${token}` },
        })
        expect((await overwritten.json()).subject).toBe('gwen')
      }
    }
  })

  it('optional routes: authorize answers 401 to anonymous callers, getAuth needs { optional: true }', async () => {
    const scoped = await get('/optional-scoped')
    expect(scoped.status).toBe(401)
    expect((await scoped.json()).code).toBe('ERR_TOKEN_MISSING')
    const anonymous = await get('/optional-getauth')
    expect(await anonymous.json()).toEqual({ bug: 'ERR_CONFIGURATION' })
  })
})

describe('construction', () => {
  it('validates a requirement once, when the middleware is created', () => {
    expect(() => authorize({ scopes: 'write' } as unknown as { scopes: string[] })).toThrow(
      ConfigurationError,
    )
    expect(() => authorize({ scope: ['write'] } as unknown as { scopes: string[] })).toThrow(
      ConfigurationError,
    )
  })

  it('rejects a missing auth object when the middleware is created', () => {
    expect(() => authenticate(undefined as unknown as Auth)).toThrow(ConfigurationError)
  })

  it('getAuth on a bare request is a ConfigurationError', () => {
    expect(() => getAuth({} as Request)).toThrow(ConfigurationError)
  })
})
