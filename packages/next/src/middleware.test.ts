import { createAuth } from '@keygate/core'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMiddleware } from './middleware.js'
import { PRINCIPAL_HEADER, verifyPrincipal } from './signed-principal.js'

const SECRET = 'middleware-secret-0123456789abcdef-012345'
let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] })
  await issuer.listen()
})
afterAll(() => issuer.close())

function middleware(extra: Parameters<typeof createMiddleware>[0] = {}) {
  const auth = createAuth({
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri: issuer.jwksUri,
    algorithms: ['ES256'],
  })
  return createMiddleware({
    auth,
    signingSecret: SECRET,
    realm: 'app',
    publicRoutes: ['/', '/health', /^\/public\//],
    optional: ['/maybe'],
    requirement: (request) =>
      request.nextUrl.pathname.startsWith('/admin') ? { roles: ['admin'] } : undefined,
    ...extra,
  })
}

const request = (path: string, headers: Record<string, string> = {}) =>
  new NextRequest(new URL(path, 'http://127.0.0.1:3000'), { headers })

// NextResponse.next({ request: { headers } }) lists the headers the route will see in
// x-middleware-override-headers and carries each as x-middleware-request-<name>.
const forwarded = (response: Response, name: string) => {
  const names = response.headers.get('x-middleware-override-headers')?.split(',') ?? []
  return names.includes(name) ? response.headers.get(`x-middleware-request-${name}`) : null
}

describe('createMiddleware', () => {
  it('passes public routes without a token and strips a forged identity header', async () => {
    for (const path of ['/', '/health', '/public/logo.png']) {
      const response = await middleware()(request(path, { [PRINCIPAL_HEADER]: 'v1.forged.forged' }))
      expect(response.headers.get('x-middleware-next')).toBe('1')
      expect(forwarded(response, PRINCIPAL_HEADER)).toBeNull()
    }
  })

  it('answers 401 with the realm for a protected route without a token', async () => {
    const response = await middleware()(request('/orders', { [PRINCIPAL_HEADER]: 'v1.forged.forged' }))
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="app"')
    expect(response.headers.get('x-middleware-next')).toBeNull()
  })

  it('forwards a signed principal bound to the token, never the token itself', async () => {
    const token = await issuer.sign({ sub: 'alice', tenant: 'acme' })
    const response = await middleware()(
      request('/orders', { authorization: `Bearer ${token}`, [PRINCIPAL_HEADER]: 'v1.forged.forged' }),
    )
    const signed = forwarded(response, PRINCIPAL_HEADER)
    expect(signed).toMatch(/^v1\./)
    for (const part of token.split('.')) expect(signed).not.toContain(part)
    const principal = await verifyPrincipal(signed!, { secret: SECRET, token })
    expect(principal?.subject).toBe('alice')
    expect(principal?.claims.tenant).toBe('acme')
    // The Authorization header still reaches the route, which may need the raw token.
    expect(forwarded(response, 'authorization')).toBe(`Bearer ${token}`)
  })

  it('checks the requirement chosen for the request', async () => {
    const user = await issuer.sign({ sub: 'bob', roles: ['user'] })
    const denied = await middleware()(request('/admin/users', { authorization: `Bearer ${user}` }))
    expect(denied.status).toBe(403)
    expect((await denied.json()).code).toBe('ERR_INSUFFICIENT_SCOPE')
    const admin = await issuer.sign({ sub: 'root', roles: ['admin'] })
    const allowed = await middleware()(request('/admin/users', { authorization: `Bearer ${admin}` }))
    expect(allowed.headers.get('x-middleware-next')).toBe('1')
  })

  it('lets anonymous requests through optional routes, but not bad tokens', async () => {
    const anonymous = await middleware()(request('/maybe'))
    expect(anonymous.headers.get('x-middleware-next')).toBe('1')
    expect(forwarded(anonymous, PRINCIPAL_HEADER)).toBeNull()
    const bad = await middleware()(request('/maybe', { authorization: 'Bearer not.a.jwt' }))
    expect(bad.status).toBe(401)
    expect((await bad.json()).code).toBe('ERR_TOKEN_MALFORMED')
  })

  it('forwards no principal without a signing secret, and uses onError when given', async () => {
    const token = await issuer.sign({ sub: 'alice' })
    const unsigned = await middleware({ signingSecret: '' })(
      request('/orders', { authorization: `Bearer ${token}` }),
    )
    expect(unsigned.headers.get('x-middleware-next')).toBe('1')
    expect(forwarded(unsigned, PRINCIPAL_HEADER)).toBeNull()
    const custom = await middleware({ onError: (error) => new Response(error.code, { status: 499 }) })(
      request('/orders'),
    )
    expect(custom.status).toBe(499)
    expect(await custom.text()).toBe('ERR_TOKEN_MISSING')
  })
})
