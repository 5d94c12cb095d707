import { type Auth, createAuth, type Principal } from '@keygate/core'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from './authenticate.js'
import { createKeygate } from './create-keygate.js'
import { getAuth } from './get-auth.js'
import { PRINCIPAL_HEADER, signPrincipal } from './signed-principal.js'

const SECRET = 'get-auth-secret-0123456789abcdef-01234567'
let issuer: TestIssuer
let down: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256'] })
  down = await createTestIssuer({ algorithms: ['RS256'] })
  await Promise.all([issuer.listen(), down.listen()])
  down.setMode({ kind: 'status', status: 500 })
})
afterAll(() => Promise.all([issuer.close(), down.close()]))

// A real Auth whose `authenticate` calls are counted, to tell a verification from a reuse.
function countedAuth(audience = issuer.audience) {
  const auth = createAuth({
    issuers: [
      { issuer: issuer.issuer, audience, jwksUri: issuer.jwksUri },
      { issuer: down.issuer, audience: down.audience, jwksUri: down.jwksUri },
    ],
    algorithms: ['RS256'],
  })
  const counted = { calls: 0 }
  const wrapped: Auth = {
    ...auth,
    authenticate: (request, options) => {
      counted.calls++
      return auth.authenticate(request, options)
    },
  }
  return Object.assign(counted, { auth: wrapped })
}

const get = (headers: Record<string, string> = {}) => new Request('http://127.0.0.1/orders', { headers })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  )

describe('getAuth', () => {
  // Runs first: this module's binding is fresh, as in a server bundle that never imported lib/keygate.
  it('is a configuration error until createKeygate() or authenticate() binds a configuration', async () => {
    const token = await issuer.sign({ sub: 'alice' })
    expect(await codeOf(getAuth(get(bearer(token))))).toBe('ERR_CONFIGURATION')
  })

  it('verifies the request token with the configuration createKeygate() bound', async () => {
    createKeygate({ auth: countedAuth().auth, signingSecret: SECRET })
    const me = await getAuth<{ tenant: string }>(
      get(bearer(await issuer.sign({ sub: 'alice', tenant: 'acme' }))),
    )
    expect(me.subject).toBe('alice')
    expect(me.claims.tenant).toBe('acme')
  })

  it('fails with the AuthError: no token, a bad token, an outage (503, never 401)', async () => {
    createKeygate({ auth: countedAuth().auth })
    expect(await codeOf(getAuth(get()))).toBe('ERR_TOKEN_MISSING')
    const expired = await issuer.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 3600 })
    expect(await codeOf(getAuth(get(bearer(expired))))).toBe('ERR_TOKEN_EXPIRED')
    const outage = await getAuth(get(bearer(await down.sign({ sub: 'carol' })))).catch((error) => error)
    expect(outage).toMatchObject({ code: 'ERR_KEYS_UNAVAILABLE', status: 503 })
  })

  it('resolves to null for an anonymous request when optional, but never for a bad token', async () => {
    createKeygate({ auth: countedAuth().auth })
    expect(await getAuth(get(), { optional: true })).toBeNull()
    const expired = await issuer.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 3600 })
    expect(await codeOf(getAuth(get(bearer(expired)), { optional: true }))).toBe('ERR_TOKEN_EXPIRED')
  })

  it('inside withAuth, reuses the principal withAuth resolved instead of verifying again', async () => {
    const counted = countedAuth()
    const { withAuth } = createKeygate({ auth: counted.auth })
    const route = withAuth(async (request: Request) =>
      Response.json({ subject: (await getAuth(request)).subject }),
    )
    const response = await route(get(bearer(await issuer.sign({ sub: 'alice' }))))
    expect(await response.json()).toEqual({ subject: 'alice' })
    expect(counted.calls).toBe(1)
  })

  it('takes a genuine signed header for the same token, and ignores one for another token', async () => {
    const counted = countedAuth()
    createKeygate({ auth: counted.auth, signingSecret: SECRET })
    const token = await issuer.sign({ sub: 'alice' })
    const genuine = await signPrincipal(principal('alice', token), { secret: SECRET })
    expect((await getAuth(get({ ...bearer(token), [PRINCIPAL_HEADER]: genuine }))).subject).toBe('alice')
    expect(counted.calls).toBe(0)
    const bob = await issuer.sign({ sub: 'bob' })
    expect((await getAuth(get({ ...bearer(bob), [PRINCIPAL_HEADER]: genuine }))).subject).toBe('bob')
    expect(counted.calls).toBe(1)
  })

  it('uses the last configuration bound; each createKeygate() getAuth keeps its own', async () => {
    const first = createKeygate({ auth: countedAuth().auth })
    authenticate(countedAuth('https://another-audience.test').auth)
    const token = await issuer.sign({ sub: 'alice' })
    expect(await codeOf(getAuth(get(bearer(token))))).toBe('ERR_AUDIENCE_INVALID')
    expect((await first.getAuth(get(bearer(token)))).subject).toBe('alice')
  })
})

function principal(subject: string, token: string): Principal {
  return {
    subject,
    issuer: issuer.issuer,
    claims: { sub: subject, iss: issuer.issuer, exp: Math.floor(Date.now() / 1000) + 300 },
    header: { alg: 'RS256' },
    token,
    scopes: [],
    permissions: [],
    groups: [],
    roles: [],
  }
}
