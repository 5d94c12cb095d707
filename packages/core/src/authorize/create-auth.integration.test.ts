import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { httpError } from '../http/http-error.js'
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js'
import { createAuth } from '../verify/create-auth.js'
import { authorize } from './authorize.js'
import { cachedProvider } from './cached-provider.js'
import { presets } from './presets.js'

// A real issuer on 127.0.0.1, real signatures, real JWKS fetches: providers and presets go
// through createAuth exactly as an application configures them.
let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], audience: 'orders-api' })
  await issuer.listen()
})

afterAll(async () => {
  await issuer.close()
})

const bearer = (token: string) =>
  new Request('http://127.0.0.1/orders', { headers: { authorization: `Bearer ${token}` } })

describe('createAuth with authorization providers', () => {
  it('builds a Keycloak principal with realm and client roles, then authorizes it', async () => {
    const auth = createAuth({
      issuers: [
        {
          issuer: issuer.issuer,
          audience: 'orders-api',
          jwksUri: issuer.jwksUri,
          providers: presets.keycloak({ clientId: 'orders-api', authorizedParty: 'orders-web' }),
        },
      ],
    })
    try {
      const token = await issuer.sign({
        sub: 'f3c2a1b0-9e8d-4c7b-a6f5-e4d3c2b1a098',
        aud: ['orders-api', 'account'],
        typ: 'Bearer',
        azp: 'orders-web',
        realm_access: { roles: ['offline_access', 'default-roles-shop', 'manager'] },
        resource_access: {
          'orders-api': { roles: ['orders:write'] },
          account: { roles: ['manage-account', 'view-profile'] },
        },
        scope: 'openid email profile',
        preferred_username: 'alice',
      })
      const result = await auth.authenticate(bearer(token))
      if (!result.ok) throw result.error
      expect(result.principal.roles).toEqual([
        'offline_access',
        'default-roles-shop',
        'manager',
        'orders:write',
      ])
      expect(result.principal.roles).not.toContain('view-profile')
      expect(result.principal.scopes).toEqual(['openid', 'email', 'profile'])
      expect(await authorize(result.principal, { roles: ['manager', 'orders:write'] })).toEqual({ ok: true })
      const denied = await authorize(result.principal, {
        roles: { anyOf: ['admin'] },
        scopes: ['orders:delete'],
      })
      expect(denied.ok).toBe(false)
      if (!denied.ok) {
        const response = httpError(denied.error)
        expect(response.status).toBe(403)
        expect(response.headers['www-authenticate']).toContain('scope="orders:delete"')
      }

      const otherClient = await issuer.sign({ aud: 'orders-api', azp: 'someone-else' })
      const rejected = await auth.authenticate(bearer(otherClient))
      expect(rejected).toMatchObject({ ok: false, error: { code: 'ERR_CLAIM_INVALID', status: 401 } })
    } finally {
      auth.close()
    }
  })

  it('accepts a Cognito access token by client_id and rejects its ID token', async () => {
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: '1example23456789',
      jwksUri: issuer.jwksUri,
      providers: presets.cognito({ clientId: '1example23456789' }),
    })
    try {
      const access = await issuer.sign(
        {
          client_id: '1example23456789',
          token_use: 'access',
          'cognito:groups': ['admin'],
          scope: 'openid orders/read',
          username: 'my-test-user',
        },
        { omit: ['aud'] },
      )
      const principal = await auth.verify(access)
      expect(principal.groups).toEqual(['admin'])
      expect(principal.scopes).toEqual(['openid', 'orders/read'])
      const id = await issuer.sign({ aud: '1example23456789', token_use: 'id' })
      await expect(auth.verify(id)).rejects.toMatchObject({ code: 'ERR_CLAIM_INVALID' })
      const wrongClient = await issuer.sign({ client_id: 'other', token_use: 'access' }, { omit: ['aud'] })
      await expect(auth.verify(wrongClient)).rejects.toMatchObject({ code: 'ERR_AUDIENCE_INVALID' })
    } finally {
      auth.close()
    }
  })

  it('types and checks custom claims with a schema, and answers 503 when a provider fails', async () => {
    let directoryUp = true
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: 'orders-api',
      jwksUri: issuer.jwksUri,
      claims: z.object({ tenant: z.string() }),
      providers: {
        groups: cachedProvider(async ({ claims }) => {
          if (!directoryUp) throw new Error('directory down')
          return [`${claims.tenant}-staff`]
        }),
      },
    })
    try {
      const principal = await auth.verify(await issuer.sign({ sub: 'alice', tenant: 'acme' }))
      const tenant: string = principal.claims.tenant
      expect(tenant).toBe('acme')
      expect(principal.groups).toEqual(['acme-staff'])
      await expect(auth.verify(await issuer.sign({ tenant: 42 }))).rejects.toMatchObject({
        code: 'ERR_CLAIM_INVALID',
        claim: 'tenant',
      })
      directoryUp = false
      const result = await auth.authenticate(bearer(await issuer.sign({ sub: 'bob', tenant: 'acme' })))
      expect(result).toMatchObject({ ok: false, error: { code: 'ERR_PROVIDER_UNAVAILABLE', status: 503 } })
    } finally {
      auth.close()
    }
  })
})
