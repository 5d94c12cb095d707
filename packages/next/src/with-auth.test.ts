import { createAuth, type Principal } from '@keygate/core'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PRINCIPAL_HEADER, signPrincipal } from './signed-principal.js'
import { createRouteAuth } from './with-auth.js'

const SECRET = 'route-secret-0123456789abcdef-0123456789ab'
let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256'] })
  await issuer.listen()
})
afterAll(() => issuer.close())

// A fresh Auth per test, so JWKS fetch counts show whether the handler verified anything.
function setup(extra: Parameters<typeof createRouteAuth>[0] = {}) {
  const auth = createAuth({
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri: issuer.jwksUri,
    algorithms: ['RS256'],
  })
  return createRouteAuth({ auth, realm: 'api', signingSecret: SECRET, ...extra })
}

const summary = (_request: Request, { auth }: { auth: Principal }) =>
  Response.json({ subject: auth.subject, scopes: auth.scopes })

function get(headers: Record<string, string> = {}): Request {
  return new Request('http://127.0.0.1/orders', { headers })
}

async function genuineHeader(token: string, subject = 'alice'): Promise<string> {
  const principal: Principal = {
    subject,
    issuer: issuer.issuer,
    claims: { sub: subject, iss: issuer.issuer, exp: Math.floor(Date.now() / 1000) + 300 },
    header: { alg: 'RS256' },
    token,
    scopes: ['write'],
    permissions: [],
    groups: [],
    roles: [],
  }
  return signPrincipal(principal, { secret: SECRET })
}

describe('withAuth with Web Requests', () => {
  it('verifies the bearer token itself and hands the principal to the handler', async () => {
    const token = await issuer.sign({ sub: 'alice', scope: 'read write' })
    const response = await setup()(summary)(get({ authorization: `Bearer ${token}` }))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ subject: 'alice', scopes: ['read', 'write'] })
  })

  it('answers 401 with a challenge and no error= when no token was sent', async () => {
    const response = await setup()(summary)(get())
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"')
    expect((await response.json()).code).toBe('ERR_TOKEN_MISSING')
  })

  it('answers 403 insufficient_scope when the requirement is not met', async () => {
    const token = await issuer.sign({ sub: 'bob', scope: 'read' })
    const response = await setup()(summary, { scopes: ['write'] })(get({ authorization: `Bearer ${token}` }))
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toContain('scope="write"')
    expect((await response.json()).code).toBe('ERR_INSUFFICIENT_SCOPE')
  })

  it('lets anonymous requests through when optional, but never a bad token', async () => {
    const route = setup()(
      (_request: Request, { auth }) => Response.json({ anonymous: auth === null }),
      undefined,
      { optional: true },
    )
    expect(await (await route(get())).json()).toEqual({ anonymous: true })
    const expired = await issuer.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 3600 })
    const response = await route(get({ authorization: `Bearer ${expired}` }))
    expect(response.status).toBe(401)
    expect((await response.json()).code).toBe('ERR_TOKEN_EXPIRED')
  })

  it('accepts a genuine signed header for the same token without verifying again', async () => {
    const token = await issuer.sign({ sub: 'alice' })
    const before = issuer.counters.jwks
    const headers = { authorization: `Bearer ${token}`, [PRINCIPAL_HEADER]: await genuineHeader(token) }
    const response = await setup()(summary)(get(headers))
    expect(await response.json()).toEqual({ subject: 'alice', scopes: ['write'] })
    expect(issuer.counters.jwks).toBe(before)
  })

  it('ignores a forged header and verifies the token: the token decides who the caller is', async () => {
    const token = await issuer.sign({ sub: 'bob', scope: 'read' })
    const forged = await signPrincipal(
      { ...(await decodePrincipal(token)), subject: 'mallory' },
      { secret: 'attacker-secret-0123456789abcdef-01234567' },
    )
    const before = issuer.counters.jwks
    const response = await setup()(summary)(
      get({ authorization: `Bearer ${token}`, [PRINCIPAL_HEADER]: forged }),
    )
    expect(await response.json()).toEqual({ subject: 'bob', scopes: ['read'] })
    expect(issuer.counters.jwks).toBe(before + 1)
  })

  it('never trusts an identity header without a token', async () => {
    const token = await issuer.sign({ sub: 'alice' })
    const response = await setup()(summary)(get({ [PRINCIPAL_HEADER]: await genuineHeader(token) }))
    expect(response.status).toBe(401)
    expect((await response.json()).code).toBe('ERR_TOKEN_MISSING')
  })

  it('does not honour a genuine header replayed with another token', async () => {
    const alice = await issuer.sign({ sub: 'alice' })
    const bob = await issuer.sign({ sub: 'bob' })
    const headers = { authorization: `Bearer ${bob}`, [PRINCIPAL_HEADER]: await genuineHeader(alice) }
    expect((await (await setup()(summary)(get(headers))).json()).subject).toBe('bob')
  })

  it('verifies the token itself when no signing secret is configured', async () => {
    const token = await issuer.sign({ sub: 'alice', scope: 'read' })
    const headers = {
      authorization: `Bearer ${token}`,
      [PRINCIPAL_HEADER]: await genuineHeader(token, 'mallory'),
    }
    const response = await setup({ signingSecret: '' })(summary)(get(headers))
    expect(await response.json()).toEqual({ subject: 'alice', scopes: ['read'] })
  })

  it('passes route params through and lets onError render errors', async () => {
    const route = setup({ onError: (error) => Response.json({ mine: error.code }, { status: 418 }) })(
      async (_request: Request, { params }) => Response.json(await params),
    )
    const token = await issuer.sign({ sub: 'alice' })
    const ok = await route(get({ authorization: `Bearer ${token}` }), {
      params: Promise.resolve({ id: '7' }),
    })
    expect(await ok.json()).toEqual({ id: '7' })
    const failed = await route(get())
    expect(failed.status).toBe(418)
    expect(await failed.json()).toEqual({ mine: 'ERR_TOKEN_MISSING' })
  })

  it('refuses to be configured without auth settings or with a weak secret', () => {
    expect(() => createRouteAuth({})).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
    expect(() => setup({ signingSecret: 'short' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })
})

async function decodePrincipal(token: string): Promise<Principal> {
  return createAuth({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri }).verify(
    token,
  )
}
