import { describe, expect, it } from 'vitest'
import type { JWTClaims } from '../types.js'
import { entraIssuer, presets } from './presets.js'
import { createPrincipalBuilder } from './principal.js'
import type { ProvidersOptions } from './types.js'

const build = (providers: ProvidersOptions, claims: JWTClaims) =>
  createPrincipalBuilder(providers)({
    claims,
    header: { alg: 'RS256', kid: 'k1', typ: 'JWT' },
    token: 'h.p.s',
    issuer: String(claims.iss),
  })

const code = (code: string) => expect.objectContaining({ code })

describe('presets.entra', () => {
  const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47'
  // Shaped like the v2.0 access token in Microsoft's access token claims reference, plus app
  // roles and group object IDs.
  const v2: JWTClaims = {
    aud: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
    iss: `https://login.microsoftonline.com/${tid}/v2.0`,
    iat: 1537231048,
    nbf: 1537231048,
    exp: 1537234948,
    aio: 'AXQAi/8IAAAAtAaZLo3ChMif6KOnttRB7eBq4/DccQzjcJGxPYy/C3jDaNGxXd6wNIIVGRghNRnwJ1lOcAnNZcjvkoyrFxCttv33140RioOFJ4bCCGVuoCag1uOTT22222gHwLPYQ/uf79QX+0KIijdrmp69RctzmQ==',
    azp: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
    azpacr: '0',
    name: 'Abe Lincoln',
    oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
    preferred_username: 'abeli@microsoft.com',
    rh: 'I',
    scp: 'access_as_user Orders.Read',
    roles: ['Orders.Admin'],
    groups: ['b7a5a9e3-1c3f-4a5e-9a4e-0c7c1f2d3e4f'],
    sub: 'HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ',
    tid,
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    ver: '2.0',
  }
  // A v1.0 token: sts.windows.net issuer, appid/upn instead of azp/preferred_username.
  const v1: JWTClaims = {
    aud: 'api://orders',
    iss: `https://sts.windows.net/${tid}/`,
    iat: 1537231048,
    nbf: 1537231048,
    exp: 1537234948,
    acr: '1',
    amr: ['pwd', 'mfa'],
    appid: '75dbe77f-10a3-4e59-85fd-8c127544f17c',
    appidacr: '0',
    family_name: 'Lincoln',
    given_name: 'Abe',
    ipaddr: '192.0.2.10',
    name: 'Abe Lincoln',
    oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
    scp: 'user_impersonation',
    sub: 'l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA',
    tid,
    unique_name: 'abeli@microsoft.com',
    upn: 'abeli@microsoft.com',
    ver: '1.0',
  }

  it('maps roles, groups and scp of a v2 token', async () => {
    const principal = await build(presets.entra({ tenantId: tid }), v2)
    expect(principal.roles).toEqual(['Orders.Admin'])
    expect(principal.groups).toEqual(['b7a5a9e3-1c3f-4a5e-9a4e-0c7c1f2d3e4f'])
    expect(principal.scopes).toEqual(['access_as_user', 'Orders.Read'])
    expect(principal.permissions).toEqual([])
  })

  it('maps a v1 token', async () => {
    const principal = await build(presets.entra(), v1)
    expect(principal.scopes).toEqual(['user_impersonation'])
    expect(principal.roles).toEqual([])
  })

  it('checks tid against the issuer and the accepted tenants', async () => {
    await expect(build(presets.entra(), { ...v2, tid: undefined })).rejects.toThrow(code('ERR_CLAIM_INVALID'))
    await expect(
      build(presets.entra(), { ...v2, tid: '00000000-0000-0000-0000-000000000000' }),
    ).rejects.toThrow(code('ERR_CLAIM_INVALID'))
    await expect(build(presets.entra({ tenantId: 'another-tenant' }), v2)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'tid' }),
    )
  })

  it('fails visibly on groups overage instead of an empty list', async () => {
    const overage = {
      ...v2,
      groups: undefined,
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } },
    }
    await expect(build(presets.entra(), overage)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_PROVIDER_UNAVAILABLE', status: 503 }),
    )
    const withGraph = { ...presets.entra(), groups: async () => ['from-graph'] }
    expect((await build(withGraph, overage)).groups).toEqual(['from-graph'])
  })

  it('builds v1 and v2 issuer URLs', () => {
    expect(entraIssuer(tid)).toBe(v2.iss)
    expect(entraIssuer(tid, 'v2')).toBe(v2.iss)
    expect(entraIssuer(tid, 'v1')).toBe(v1.iss)
    expect(() => entraIssuer('a/b')).toThrow(code('ERR_CONFIGURATION'))
  })
})

describe('presets.keycloak', () => {
  // Shaped like a Keycloak 24+ access token for a confidential client with the audience mapper.
  const token: JWTClaims = {
    exp: 1732400000,
    iat: 1732399700,
    auth_time: 1732399690,
    jti: 'onrtac:6f1f3a7e-3f7c-4c47-9a8b-2a1e9d8c7b6a',
    iss: 'https://keycloak.example.com/realms/shop',
    aud: ['orders-api', 'account'],
    sub: 'f3c2a1b0-9e8d-4c7b-a6f5-e4d3c2b1a098',
    typ: 'Bearer',
    azp: 'orders-web',
    sid: '8a7b6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d',
    acr: '1',
    'allowed-origins': ['https://shop.example.com'],
    realm_access: { roles: ['offline_access', 'default-roles-shop', 'uma_authorization', 'manager'] },
    resource_access: {
      'orders-api': { roles: ['orders:read', 'orders:write', 'manager'] },
      account: { roles: ['manage-account', 'manage-account-links', 'view-profile'] },
    },
    scope: 'openid email profile',
    email_verified: true,
    name: 'Alice Doe',
    preferred_username: 'alice',
    given_name: 'Alice',
    family_name: 'Doe',
    email: 'alice@example.com',
    groups: ['/staff', '/staff/orders'],
  }

  it('joins realm roles and the client roles of clientId, without duplicates', async () => {
    const principal = await build(presets.keycloak({ clientId: 'orders-api' }), token)
    expect(principal.roles).toEqual([
      'offline_access',
      'default-roles-shop',
      'uma_authorization',
      'manager',
      'orders:read',
      'orders:write',
    ])
    expect(principal.scopes).toEqual(['openid', 'email', 'profile'])
    expect(principal.groups).toEqual(['/staff', '/staff/orders'])
  })

  it('uses realm roles only without clientId', async () => {
    expect((await build(presets.keycloak(), token)).roles).not.toContain('orders:read')
  })

  it('checks azp when authorizedParty is given', async () => {
    await expect(build(presets.keycloak({ authorizedParty: 'orders-web' }), token)).resolves.toBeDefined()
    await expect(build(presets.keycloak({ authorizedParty: ['admin-web'] }), token)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'azp' }),
    )
  })

  it.each(['ID', 'Logout', 'Refresh', 'Offline', 'bearer'])(
    'refuses a Keycloak token whose typ claim is %s (only Bearer access tokens are for APIs)',
    async (typ) => {
      await expect(build(presets.keycloak(), { ...token, typ })).rejects.toThrow(
        expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'typ' }),
      )
    },
  )

  it('accepts a lightweight access token without the typ claim', async () => {
    await expect(build(presets.keycloak(), { ...token, typ: undefined })).resolves.toBeDefined()
  })
})

describe('presets.auth0', () => {
  // Shaped like an Auth0 access token for an API with RBAC and "Add Permissions in the Access Token".
  const token: JWTClaims = {
    'https://shop.example.com/roles': ['support'],
    iss: 'https://shop.us.auth0.com/',
    sub: 'auth0|64b7f1c2e4a1b2c3d4e5f607',
    aud: ['https://api.shop.example.com', 'https://shop.us.auth0.com/userinfo'],
    iat: 1732399700,
    exp: 1732486100,
    scope: 'openid profile email read:orders',
    azp: 'Xk3Yp9QwErTyUiOp1234567890abcdEF',
    permissions: ['read:orders', 'write:orders'],
  }

  it('maps permissions, scope and a namespaced roles claim', async () => {
    const principal = await build(presets.auth0({ rolesClaim: 'https://shop.example.com/roles' }), token)
    expect(principal.permissions).toEqual(['read:orders', 'write:orders'])
    expect(principal.scopes).toEqual(['openid', 'profile', 'email', 'read:orders'])
    expect(principal.roles).toEqual(['support'])
  })
})

describe('presets.cognito', () => {
  // Shaped like the access token in the Cognito developer guide: no aud, client_id instead.
  const access: JWTClaims = {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'cognito:groups': ['admin'],
    iss: 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example',
    version: 2,
    client_id: '1example23456789',
    origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    event_id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    token_use: 'access',
    scope: 'phone openid profile email orders/read',
    auth_time: 1676313851,
    exp: 1676317451,
    iat: 1676313851,
    jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    username: 'my-test-user',
  }
  // And the matching ID token: aud is the app client.
  const id: JWTClaims = {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'cognito:groups': ['admin'],
    email_verified: true,
    iss: 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example',
    'cognito:username': 'my-test-user',
    origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    aud: '1example23456789',
    event_id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    token_use: 'id',
    auth_time: 1676313851,
    exp: 1676317451,
    iat: 1676313851,
    jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    email: 'my-test-user@example.com',
  }

  it('maps cognito:groups and scope, and says where the audience is', async () => {
    const preset = presets.cognito({ clientId: '1example23456789' })
    expect(preset.audienceClaim).toBe('client_id')
    const principal = await build(preset, access)
    expect(principal.groups).toEqual(['admin'])
    expect(principal.scopes).toEqual(['phone', 'openid', 'profile', 'email', 'orders/read'])
  })

  it('accepts access tokens only by default, and checks the app client', async () => {
    await expect(build(presets.cognito(), id)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'token_use' }),
    )
    await expect(build(presets.cognito(), { ...access, token_use: undefined })).rejects.toThrow(
      code('ERR_CLAIM_INVALID'),
    )
    await expect(build(presets.cognito({ clientId: 'other' }), access)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'client_id' }),
    )
  })

  it('checks aud for ID tokens when they are accepted', async () => {
    await expect(
      build(presets.cognito({ tokenUse: 'id', clientId: '1example23456789' }), id),
    ).resolves.toBeDefined()
    await expect(build(presets.cognito({ tokenUse: 'id' }), access)).rejects.toThrow(
      code('ERR_CLAIM_INVALID'),
    )
    await expect(build(presets.cognito({ tokenUse: 'any', clientId: 'other' }), id)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'aud' }),
    )
  })
})

describe('presets.okta', () => {
  // Shaped like an Okta custom authorization server access token with a groups claim.
  const token: JWTClaims = {
    ver: 1,
    jti: 'AT.u-3sVeBBXxoKk0BqYnMjUgh4zaDGf2ZKIcEphm7QoSk',
    iss: 'https://dev-123456.okta.com/oauth2/default',
    aud: 'api://default',
    iat: 1732399700,
    exp: 1732403300,
    cid: '0oa1example2abcdEF3h7',
    uid: '00u1example4ijkLM5n7',
    scp: ['openid', 'profile', 'orders.read'],
    auth_time: 1732399690,
    sub: 'alice@example.com',
    groups: ['Everyone', 'Managers'],
  }

  it('maps scp and groups, and checks cid when asked', async () => {
    const principal = await build(presets.okta({ clientId: '0oa1example2abcdEF3h7' }), token)
    expect(principal.scopes).toEqual(['openid', 'profile', 'orders.read'])
    expect(principal.groups).toEqual(['Everyone', 'Managers'])
    await expect(build(presets.okta({ clientId: 'other' }), token)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'cid' }),
    )
  })
})

describe('preset options', () => {
  it('are validated at construction', () => {
    expect(() => presets.entra({ tenantId: [] })).toThrow(code('ERR_CONFIGURATION'))
    expect(() => presets.keycloak({ clientId: '' })).toThrow(code('ERR_CONFIGURATION'))
    // @ts-expect-error: not a token use
    expect(() => presets.cognito({ tokenUse: 'refresh' })).toThrow(code('ERR_CONFIGURATION'))
  })
})
