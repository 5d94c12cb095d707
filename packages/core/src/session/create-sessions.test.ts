import { describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../errors.js'
import { setup } from '../issue/test-fixtures.js'
import { createSessionKit, SESSION_APP_ROUTES } from '../testing/session-scenarios.js'
import { createAuth } from '../verify/create-auth.js'
import { createSessions } from './create-sessions.js'
import type { SessionIssuer, SessionOptions, SessionRequest } from './types.js'
import { toWebSessionResponse } from './web-response.js'

const ORIGIN = 'https://app.example'

function request(path: string, headers: Record<string, string> = {}, method = 'POST'): SessionRequest {
  const h = new Headers(headers)
  return { method, url: path, headers: h }
}
const post = (path: string, headers: Record<string, string> = {}) =>
  request(path, { origin: ORIGIN, 'content-type': 'application/json', ...headers })

function sessionsOver(overrides: Partial<SessionOptions> = {}, issuerOverrides = {}) {
  const fixture = setup(issuerOverrides)
  const sessions = createSessions({ issuer: fixture.issuer, allowedOrigins: [ORIGIN], ...overrides })
  return { fixture, sessions }
}

describe('the shared session scenarios, over sessions.handle', async () => {
  const kit = await createSessionKit()
  const auth = createAuth(kit.authOptions)
  // The fixture app of the table, fetch-style: what @keygate/hono and @keygate/next do.
  async function app(path: string, init: RequestInit): Promise<Response> {
    const req = new Request(new URL(path, 'http://127.0.0.1'), init)
    if (path === SESSION_APP_ROUTES.login) {
      const { subject } = (await req.json()) as { subject: string }
      return toWebSessionResponse(await kit.sessions.login(req, { subject, permissions: ['read'] }))
    }
    if (path === SESSION_APP_ROUTES.me) {
      const result = await auth.authenticate(req, { getToken: () => kit.sessions.accessToken(req) })
      if (!result.ok) return Response.json({ code: result.error.code }, { status: result.error.status })
      return Response.json({ subject: result.principal.subject })
    }
    return kit.sessions.handle(req)
  }
  for (const scenario of kit.scenarios) it(scenario.name, () => scenario.run(app))
})

describe('createSessions', () => {
  it('by default sets only the refresh cookie, __Secure- with the session path', async () => {
    const { sessions } = sessionsOver()
    const answer = await sessions.login(request('/login'), { subject: 'alice' })
    expect(answer.cookies).toHaveLength(1)
    expect(answer.cookies[0]).toMatch(
      /^__Secure-keygate-refresh=kgr_\w+; Path=\/auth\/session; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict$/,
    )
    expect(JSON.parse(answer.body ?? '')).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    expect(sessions.routes).toEqual({ refresh: '/auth/session/refresh', logout: '/auth/session/logout' })
    expect(() => sessions.accessToken(request('/x'))).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })

  it('uses __Host- when the path is / and no Domain is set; __Secure- with a Domain', async () => {
    const root = sessionsOver({ path: '/' }).sessions
    expect(root.routes).toEqual({ refresh: '/refresh', logout: '/logout' })
    const [cookie] = (await root.login(request('/login'), { subject: 'a' })).cookies
    expect(cookie).toMatch(
      /^__Host-keygate-refresh=\S+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/,
    )
    const shared = sessionsOver({
      path: '/',
      refreshCookie: { domain: 'example.com', name: 'sid', sameSite: 'Lax' },
    })
    const [domainCookie] = (await shared.sessions.login(request('/login'), { subject: 'a' })).cookies
    expect(domainCookie).toMatch(
      /^__Secure-sid=\S+; Path=\/; Domain=example.com; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/,
    )
  })

  it('development: plain HTTP to a loopback host gets unprefixed cookies without Secure', async () => {
    const { sessions } = sessionsOver({ development: true, allowedOrigins: ['http://localhost:3000'] })
    const local = await sessions.login(request('http://localhost:3000/login'), { subject: 'a' })
    expect(local.cookies[0]).toMatch(
      /^keygate-refresh=\S+; Path=\/auth\/session; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
    )
    const byHost = await sessions.login(request('/login', { host: '127.0.0.1:3000' }), { subject: 'a' })
    expect(byHost.cookies[0]).toMatch(/^keygate-refresh=.*; HttpOnly; SameSite=Strict$/)
    // The unprefixed cookie is the one read back on the same host.
    const value = /=([^;]+)/.exec(local.cookies[0] ?? '')?.[1]
    const refreshed = await sessions.respond({
      ...post('http://localhost:3000/auth/session/refresh', {
        origin: 'http://localhost:3000',
        cookie: `keygate-refresh=${value}`,
      }),
    })
    expect(refreshed.status).toBe(200)
    for (const url of ['https://localhost:3000/login', 'http://app.example/login']) {
      const [cookie] = (await sessions.login(request(url), { subject: 'a' })).cookies
      expect(cookie).toMatch(/^__Secure-keygate-refresh=.*; Secure; SameSite=Strict$/)
    }
    // Outside development, localhost is no exception.
    const prod = sessionsOver({ allowedOrigins: ['http://localhost:3000'] }).sessions
    const [cookie] = (await prod.login(request('http://localhost:3000/login'), { subject: 'a' })).cookies
    expect(cookie).toMatch(/^__Secure-keygate-refresh=.*; Secure; SameSite=Strict$/)
  })

  it('refuses bad configuration at construction', () => {
    const { fixture } = sessionsOver()
    const bad: Partial<SessionOptions>[] = [
      { allowedOrigins: [] },
      { allowedOrigins: ['https://app.example/'] },
      { allowedOrigins: ['app.example'] },
      { path: '/auth/' },
      { path: 'auth' },
      { path: '/a;b' },
      { csrfHeader: 'content-type' },
      { csrfHeader: 'x bad' },
      { refreshCookie: { name: '__Host-x' } },
      { refreshCookie: { name: 'a;b' } },
      { refreshCookie: { domain: 'a.example; Path=/' } },
      { refreshCookie: { sameSite: 'strict' as 'Strict' } },
      { accessCookie: { name: 'keygate-refresh' } },
    ]
    for (const overrides of bad) {
      expect(() =>
        createSessions({ issuer: fixture.issuer, allowedOrigins: [ORIGIN], ...overrides }),
      ).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
    }
    expect(() => createSessions({ allowedOrigins: [ORIGIN] } as unknown as SessionOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })

  it('answers 404 for other paths (an adapter passes them on), and reads a query-less path', async () => {
    const { sessions } = sessionsOver()
    expect((await sessions.respond(post('/auth/session/other'))).status).toBe(404)
    expect((await sessions.respond(post('/auth/session'))).status).toBe(404)
    const noCookie = await sessions.respond(post('https://api.example/auth/session/refresh?x=1'))
    expect(noCookie).toMatchObject({ status: 401, cookies: [] })
    expect(JSON.parse(noCookie.body ?? '').code).toBe('ERR_TOKEN_MISSING')
  })

  it('refresh data reaches onRefresh; a refusal deletes the cookie', async () => {
    const seen: unknown[] = []
    const { sessions } = sessionsOver(
      {},
      {
        onRefresh: (input: { data: unknown }) => {
          seen.push(input.data)
          return false
        },
      },
    )
    const login = await sessions.login(request('/login'), { subject: 'a', data: { tenant: 't1' } })
    const value = /=([^;]+)/.exec(login.cookies[0] ?? '')?.[1]
    const answer = await sessions.respond(
      post('/auth/session/refresh', { cookie: `__Secure-keygate-refresh=${value}` }),
    )
    expect(answer.status).toBe(400)
    expect(answer.cookies).toEqual([
      '__Secure-keygate-refresh=; Path=/auth/session; Max-Age=0; HttpOnly; Secure; SameSite=Strict',
    ])
    expect(seen).toEqual([{ tenant: 't1' }])
  })

  it('without rotation, a refresh keeps the cookie it was given', async () => {
    const { sessions } = sessionsOver({}, { refreshRotation: { enabled: false } })
    const login = await sessions.login(request('/login'), { subject: 'a' })
    const value = /=([^;]+)/.exec(login.cookies[0] ?? '')?.[1]
    const answer = await sessions.respond(
      post('/auth/session/refresh', { cookie: `__Secure-keygate-refresh=${value}` }),
    )
    expect(answer).toMatchObject({ status: 200, cookies: [] })
  })

  it('a store outage is a 503 with Retry-After that keeps the cookie; a bug is a bare 500', async () => {
    const failing = (error: unknown): SessionIssuer => ({
      createToken: () => Promise.reject(error),
      refresh: () => Promise.reject(error),
      revokeRefreshToken: () => Promise.reject(error),
    })
    const cookie = '__Secure-keygate-refresh=kgr_whatever'
    const outage = createSessions({
      issuer: failing(new StoreUnavailableError('down', 5)),
      allowedOrigins: [ORIGIN],
    })
    for (const path of ['/auth/session/refresh', '/auth/session/logout']) {
      const answer = await outage.respond(post(path, { cookie }))
      expect(answer).toMatchObject({ status: 503, cookies: [] })
      expect(answer.headers['retry-after']).toBe('5')
    }
    const bug = createSessions({ issuer: failing(new TypeError('secret detail')), allowedOrigins: [ORIGIN] })
    const answer = await bug.respond(post('/auth/session/refresh', { cookie }))
    expect(answer.status).toBe(500)
    expect(answer.body).not.toContain('secret detail')
    await expect(bug.login(request('/login'), { subject: 'a' })).rejects.toThrow(TypeError)
  })

  it('accessToken: safe methods need no origin; unsafe ones need the checks; a custom CSRF header', async () => {
    const { sessions } = sessionsOver({ accessCookie: { name: 'at' }, csrfHeader: 'X-CSRF' })
    const cookie = '__Host-at=abc; other=1'
    expect(sessions.accessToken(request('/x', { cookie }, 'GET'))).toBe('abc')
    expect(sessions.accessToken(request('/x', { cookie: 'at=abc' }, 'GET'))).toBeUndefined()
    expect(sessions.accessToken(request('/x', { cookie: '__Host-at="q"' }, 'HEAD'))).toBe('q')
    expect(() => sessions.accessToken(request('/x', { cookie }, 'DELETE'))).toThrow(
      expect.objectContaining({ code: 'ERR_CROSS_SITE_REQUEST', status: 403 }),
    )
    expect(() =>
      sessions.accessToken({ headers: new Headers({ cookie, origin: ORIGIN, 'x-csrf': '1' }) }),
    ).not.toThrow()
    expect(() =>
      sessions.accessToken({ headers: new Headers({ cookie, origin: ORIGIN, 'x-requested-with': '1' }) }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CROSS_SITE_REQUEST' }))
    expect(sessions.accessToken(request('/x', {}, 'DELETE'))).toBeUndefined()
  })

  it('handle answers a fetch Response with one Set-Cookie per cookie', async () => {
    const { sessions } = sessionsOver({ accessCookie: true })
    const response = toWebSessionResponse(await sessions.login(request('/login'), { subject: 'a' }))
    expect(response.headers.getSetCookie()).toHaveLength(2)
    const out = await sessions.handle(
      new Request('https://api.example/auth/session/logout', {
        method: 'POST',
        headers: { origin: ORIGIN, 'x-requested-with': 'fetch' },
      }),
    )
    expect(out.status).toBe(204)
    expect(out.headers.getSetCookie()).toHaveLength(2)
  })
})
