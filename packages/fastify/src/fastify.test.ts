import { type Auth, createAuth } from '@keygate/core'
import {
  type AdapterKit,
  createAdapterKit,
  SCENARIO_REQUIREMENT,
  sendRawRequest,
} from '@keygate/core/testing'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, authenticate, ConfigurationError, getAuth, keygate } from './index.js'

const kit: AdapterKit = await createAdapterKit()
const auth: Auth = createAuth(kit.authOptions)
// With the token cache: a repeated token goes on through `done()` at once (auth.cachedPrincipal).
const cachedAuth: Auth = createAuth({ ...kit.authOptions, tokenCache: {} })

function reply(request: FastifyRequest) {
  const principal = getAuth(request)
  return { subject: principal.subject, claims: principal.claims }
}

function optionalReply(request: FastifyRequest) {
  const principal = getAuth(request, { optional: true })
  return principal ? { subject: principal.subject, claims: principal.claims } : { anonymous: true }
}

/** The scenario routes protected with the decorators (`onRequest`/`preHandler`). */
async function decoratorApp(auth: Auth): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(keygate, { auth })
  app.get('/protected', { onRequest: app.authenticate }, reply)
  app.get('/scoped', { onRequest: app.authenticate, preHandler: app.authorize(SCENARIO_REQUIREMENT) }, reply)
  app.get('/optional', { onRequest: authenticate(auth, { optional: true }) }, optionalReply)
  return app
}

/** The same routes protected by route-level `config.auth` only. */
async function configApp(auth: Auth): Promise<FastifyInstance> {
  const app = Fastify()
  // Not awaited on purpose: routes declared right after register still get the onRoute hook.
  app.register(keygate, { auth })
  app.register(async (child) => {
    child.get('/protected', { config: { auth: true } }, reply)
    child.get('/scoped', { config: { auth: { requirement: SCENARIO_REQUIREMENT } } }, reply)
    child.get('/optional', { config: { auth: { optional: true } } }, optionalReply)
  })
  return app
}

/** Sends a scenario through `inject`, as a Web Response for the kit. */
function injector(app: FastifyInstance) {
  return async (path: string, init: RequestInit): Promise<Response> => {
    const res = await app.inject({
      method: 'GET',
      url: path,
      headers: init.headers as Record<string, string>,
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers.set(name, String(value))
    }
    return new Response(res.body, { status: res.statusCode, headers })
  }
}

afterAll(async () => {
  auth.close()
  cachedAuth.close()
  await kit.close()
})

describe.each([
  ['decorators', decoratorApp, auth],
  ['route config', configApp, auth],
  ['decorators and the token cache', decoratorApp, cachedAuth],
  ['route config and the token cache', configApp, cachedAuth],
] as const)('Fastify 5 with %s', (_name, build, withAuth) => {
  let app: FastifyInstance
  let url: string
  beforeAll(async () => {
    app = await build(withAuth)
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app.close())

  describe('over a real socket', () => {
    it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', (_n, scenario) => kit.run(scenario, url))
  })
  describe('through inject', () => {
    it.each(kit.scenarios.map((s) => [s.name, s] as const))('%s', (_n, s) => kit.run(s, injector(app)))
  })
  it('refuses two Authorization lines (Node keeps only the first) with 400', async () => {
    const token = await kit.main.sign({ sub: 'twice' })
    // Once alone first, so a token cache holds it.
    expect((await fetch(`${url}/protected`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    )
    const answer = await sendRawRequest(`${url}/protected`, [
      ['Authorization', `Bearer ${token}`],
      ['authorization', `Bearer ${token}`],
    ])
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body).code).toBe('ERR_INVALID_REQUEST')
  })
})

describe('Fastify 5 options', () => {
  let app: FastifyInstance
  const bearer = async (claims = {}) => ({ authorization: `Bearer ${await kit.main.sign(claims)}` })

  beforeAll(async () => {
    app = Fastify()
    app.setErrorHandler((error, _request, res) => {
      res.code(500).send({ bug: AuthError.is(error) ? error.code : 'other' })
    })
    await app.register(keygate, {
      auth,
      realm: 'orders',
      getToken: (request) => /(?:^|;\s*)session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1],
    })
    app.get('/cookie', { onRequest: app.authenticate }, reply)
    app.get('/config-cookie', { config: { auth: true } }, reply)
    app.get('/custom', {
      onRequest: authenticate(auth, {
        onError: async (error, _request, res) => {
          if (error.status === 401) await res.code(401).send({ custom: error.code })
        },
      }),
      handler: reply,
    })
    app.get('/unauthenticated', reply)
    app.get('/authorize-only', { onRequest: app.authorize(SCENARIO_REQUIREMENT) }, reply)
    app.get(
      '/optional-scoped',
      { config: { auth: { optional: true, requirement: SCENARIO_REQUIREMENT } } },
      reply,
    )
    app.get('/optional-getauth', { config: { auth: { optional: true } } }, reply)
    app.get('/public', async (request) => ({ auth: request.auth }))
    await app.ready()
  })
  afterAll(() => app.close())

  it('reads the token with the plugin-level finder (cookie), for decorators and route config', async () => {
    const token = await kit.main.sign({ sub: 'erin' })
    for (const url of ['/cookie', '/config-cookie']) {
      const ok = await app.inject({ url, headers: { cookie: `theme=dark; session=${token}` } })
      expect(ok.statusCode).toBe(200)
      expect(ok.json().subject).toBe('erin')
      const missing = await app.inject({ url, headers: { authorization: `Bearer ${token}` } })
      expect(missing.json().code).toBe('ERR_TOKEN_MISSING')
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="orders"')
    }
  })

  it('lets onError render the error, and falls back to the default when it sends nothing', async () => {
    const custom = await app.inject({ url: '/custom' })
    expect(custom.statusCode).toBe(401)
    expect(custom.json()).toEqual({ custom: 'ERR_TOKEN_MISSING' })
    const fallback = await app.inject({ url: '/custom', headers: { authorization: 'Bearer ' } })
    expect(fallback.statusCode).toBe(400)
    expect(fallback.json().code).toBe('ERR_INVALID_REQUEST')
  })

  it('getAuth or authorize without authentication is a ConfigurationError, not a 401', async () => {
    expect((await app.inject({ url: '/unauthenticated' })).json()).toEqual({ bug: 'ERR_CONFIGURATION' })
    const res = await app.inject({ url: '/authorize-only', headers: await bearer({ scope: 'write' }) })
    expect(res.json()).toEqual({ bug: 'ERR_CONFIGURATION' })
  })

  it('optional routes: a requirement answers 401 to anonymous callers, getAuth needs { optional: true }', async () => {
    const scoped = await app.inject({ url: '/optional-scoped' })
    expect(scoped.statusCode).toBe(401)
    expect(scoped.json().code).toBe('ERR_TOKEN_MISSING')
    expect((await app.inject({ url: '/optional-getauth' })).json()).toEqual({ bug: 'ERR_CONFIGURATION' })
  })

  it('decorates request.auth with null on unprotected routes', async () => {
    expect((await app.inject({ url: '/public', headers: await bearer() })).json()).toEqual({ auth: null })
  })

  it('validates route requirements when the route is added, and plugin options at register', async () => {
    const bad = Fastify()
    await bad.register(keygate, { auth })
    expect(() =>
      bad.get('/x', { config: { auth: { requirement: { scopes: 'write' as unknown as string[] } } } }, reply),
    ).toThrow(ConfigurationError)
    expect(() => bad.authorize({ roles: { anyOf: [] } })).toThrow(ConfigurationError)
    await bad.close()
    const noAuth = Fastify()
    await expect(noAuth.register(keygate, {} as { auth: Auth })).rejects.toBeInstanceOf(ConfigurationError)
  })
})
