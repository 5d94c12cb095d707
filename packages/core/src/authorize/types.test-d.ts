import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type { AuthError } from '../errors.js'
import type { JWTClaims, Principal } from '../types.js'
import type { Auth, AuthOptions, IssuerConfig } from '../verify/types.js'
import { authorize } from './authorize.js'
import { cachedProvider } from './cached-provider.js'
import { type ClaimsSchema, type InferClaims, validateClaims } from './claims-schema.js'
import { presets } from './presets.js'
import { createPrincipalBuilder, type PrincipalBuilder } from './principal.js'
import { defineRequirement } from './requirement.js'
import type { AuthorizeResult, Provider, ProvidersOptions, Requirement } from './types.js'

interface TenantClaims extends JWTClaims {
  tenant: string
  seats: number
}
const isTenantClaims = (claims: JWTClaims): claims is TenantClaims => typeof claims.tenant === 'string'
const tenantSchema = z.object({ tenant: z.string(), seats: z.number() })

// The shape createAuth is expected to have: the generic is given, or inferred from `claims`.
declare function createAuth<C extends JWTClaims = JWTClaims>(options: AuthOptions<C>): Auth<C>

describe('typed claims', () => {
  it('types principal.claims from the generic', async () => {
    const auth = createAuth<TenantClaims>({ issuer: 'https://issuer.test', audience: 'api' })
    const principal = await auth.verify('token')
    expectTypeOf(principal.claims.tenant).toEqualTypeOf<string>()
    expectTypeOf(principal.claims.seats).toEqualTypeOf<number>()
    expectTypeOf(principal.claims.sub).toEqualTypeOf<string | undefined>()
    expectTypeOf(principal.claims.somethingElse).toEqualTypeOf<unknown>()
    // @ts-expect-error claims are read-only
    principal.claims.tenant = 'other'
    // @ts-expect-error tenant is a string, not a number
    const seats: number = principal.claims.tenant
    void seats
  })

  it('infers the claims type from a type guard or a Standard Schema', async () => {
    const fromGuard = createAuth({ issuer: 'https://issuer.test', audience: 'api', claims: isTenantClaims })
    expectTypeOf(fromGuard).toEqualTypeOf<Auth<TenantClaims>>()
    const fromZod = createAuth({ issuer: 'https://issuer.test', audience: 'api', claims: tenantSchema })
    const result = await fromZod.authenticate(new Request('http://127.0.0.1/'))
    if (result.ok) {
      expectTypeOf(result.principal.claims.seats).toEqualTypeOf<number>()
      expectTypeOf(result.principal.claims.iss).toEqualTypeOf<string | undefined>()
    }
    expectTypeOf<InferClaims<typeof isTenantClaims>>().toEqualTypeOf<TenantClaims>()
    expectTypeOf<InferClaims<typeof tenantSchema>>().toEqualTypeOf<{ tenant: string; seats: number }>()
    const wrongShape = z.object({ tenant: z.number() })
    const mismatch: AuthOptions<TenantClaims> = {
      issuer: 'https://issuer.test',
      audience: 'api',
      // @ts-expect-error a schema must produce the declared claims type
      claims: wrongShape,
    }
    void mismatch
    // @ts-expect-error a plain function that is not a guard is not a schema
    const notAGuard: ClaimsSchema<TenantClaims> = (claims: JWTClaims) => typeof claims.tenant === 'string'
    void notAGuard
  })

  it('types validateClaims and the principal builder', () => {
    expectTypeOf(validateClaims(isTenantClaims, {})).toEqualTypeOf<TenantClaims>()
    expectTypeOf(validateClaims(tenantSchema, {}).seats).toEqualTypeOf<number>()
    expectTypeOf(createPrincipalBuilder({}, { claims: isTenantClaims })).toEqualTypeOf<
      PrincipalBuilder<TenantClaims>
    >()
    expectTypeOf(createPrincipalBuilder()).toEqualTypeOf<PrincipalBuilder>()
    expectTypeOf(createPrincipalBuilder()).returns.resolves.toEqualTypeOf<Principal>()
  })
})

describe('requirements', () => {
  it('rejects unknown fields and malformed matches', () => {
    // @ts-expect-error `scope` is not a requirement field (it is `scopes`)
    const misspelt: Requirement = { scope: ['orders:read'] }
    // @ts-expect-error `oneOf` is not a match kind
    defineRequirement({ roles: { oneOf: ['admin'] } })
    // @ts-expect-error values are lists, not strings
    defineRequirement({ permissions: 'orders:write' })
    // @ts-expect-error predicates are functions
    defineRequirement({ predicates: ['isOwner'] })
    // @ts-expect-error a predicate must answer with a boolean
    defineRequirement({ predicates: [() => 'yes'] })
    void misspelt
  })

  it('types predicates by the principal’s claims', async () => {
    const principal = {} as Principal<TenantClaims>
    const result = await authorize(principal, {
      permissions: { anyOf: ['orders:write'] },
      predicates: [(p) => p.claims.tenant === 'acme', async (p) => p.claims.seats > 0],
      adminPermission: 'admin',
    })
    expectTypeOf(result).toEqualTypeOf<AuthorizeResult>()
    if (!result.ok) expectTypeOf(result.error).toEqualTypeOf<AuthError>()
    // A requirement defined without a claims type fits any principal.
    const generic = defineRequirement({ roles: ['admin'] })
    await authorize(principal, generic)
    // @ts-expect-error `seats` is a number
    await authorize(principal, { predicates: [(p) => p.claims.seats.startsWith('1')] })
  })
})

describe('providers and presets', () => {
  it('fit the issuer registry and the top-level default', () => {
    const issuer: IssuerConfig = {
      issuer: 'https://keycloak.example.com/realms/shop',
      audience: 'orders-api',
      providers: {
        ...presets.keycloak({ clientId: 'orders-api' }),
        groups: cachedProvider(async () => ['g']),
      },
    }
    const options: AuthOptions = { issuers: [issuer], providers: presets.auth0() }
    expectTypeOf(presets.cognito()).toEqualTypeOf<ProvidersOptions>()
    expectTypeOf(cachedProvider(async () => [])).toMatchTypeOf<Provider>()
    // @ts-expect-error not a Cognito token use
    presets.cognito({ tokenUse: 'refresh' })
    // @ts-expect-error providers return lists of strings
    const wrong: ProvidersOptions = { roles: () => [1, 2] }
    // @ts-expect-error unknown providers field
    const typo: ProvidersOptions = { group: 'groups' }
    void options
    void wrong
    void typo
  })
})
