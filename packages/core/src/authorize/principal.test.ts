import { describe, expect, it } from 'vitest'
import { ClaimInvalidError, InsufficientScopeError } from '../errors.js'
import type { JWTClaims } from '../types.js'
import { cachedProvider } from './cached-provider.js'
import { createPrincipalBuilder } from './principal.js'
import type { ProvidersOptions } from './types.js'

const verified = (claims: JWTClaims) => ({
  claims,
  header: { alg: 'ES256', kid: 'k' },
  token: 'h.p.s',
  issuer: 'https://issuer.test',
})

const code = (code: string) => expect.objectContaining({ code })

describe('createPrincipalBuilder', () => {
  it('fills the principal from the default claims', async () => {
    const claims = {
      iss: 'https://issuer.test',
      sub: 'alice',
      scope: 'a b',
      permissions: ['p'],
      groups: ['g'],
      roles: 'r',
    }
    const principal = await createPrincipalBuilder()(verified(claims))
    expect(principal).toEqual({
      subject: 'alice',
      issuer: 'https://issuer.test',
      claims,
      header: { alg: 'ES256', kid: 'k' },
      token: 'h.p.s',
      scopes: ['a', 'b'],
      permissions: ['p'],
      groups: ['g'],
      roles: ['r'],
    })
  })

  it('uses providers given as functions, claim names and dotted paths', async () => {
    const build = createPrincipalBuilder({
      roles: 'realm_access.roles',
      groups: 'cognito:groups',
      permissions: async ({ claims }) => [`perm-of-${claims.sub}`],
    })
    const principal = await build(
      verified({ sub: 'bob', realm_access: { roles: ['admin'] }, 'cognito:groups': ['ops'] }),
    )
    expect(principal.roles).toEqual(['admin'])
    expect(principal.groups).toEqual(['ops'])
    expect(principal.permissions).toEqual(['perm-of-bob'])
  })

  it('drops non-string values a provider returns', async () => {
    const build = createPrincipalBuilder({ roles: () => ['a', 1 as unknown as string, 'b'] })
    expect((await build(verified({}))).roles).toEqual(['a', 'b'])
  })

  it('turns a failing async provider into a 503, never an empty list', async () => {
    const build = createPrincipalBuilder({
      groups: async () => {
        throw new Error('LDAP down')
      },
    })
    await expect(build(verified({ sub: 'a' }))).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_PROVIDER_UNAVAILABLE', status: 503 }),
    )
  })

  it('turns a throwing sync provider or a non-list result into a 503', async () => {
    const throwing = createPrincipalBuilder({
      roles: () => {
        throw new Error('bug')
      },
      groups: async () => ['slow'],
    })
    await expect(throwing(verified({}))).rejects.toThrow(code('ERR_PROVIDER_UNAVAILABLE'))
    const notAList = createPrincipalBuilder({ roles: () => 'admin' as unknown as string[] })
    await expect(notAList(verified({}))).rejects.toThrow(code('ERR_PROVIDER_UNAVAILABLE'))
  })

  it('lets a Keygate error a provider throws on purpose through', async () => {
    const build = createPrincipalBuilder({
      permissions: () => {
        throw new InsufficientScopeError('no account', {})
      },
    })
    await expect(build(verified({}))).rejects.toThrow(code('ERR_INSUFFICIENT_SCOPE'))
  })

  it('propagates a cached provider timeout as a 503', async () => {
    const build = createPrincipalBuilder({
      groups: cachedProvider(() => new Promise(() => {}), { timeout: 10 }),
    })
    await expect(build(verified({ sub: 'a' }))).rejects.toThrow(code('ERR_PROVIDER_UNAVAILABLE'))
  })

  it('runs validate before any provider', async () => {
    let providerCalls = 0
    const providers: ProvidersOptions = {
      groups: async () => {
        providerCalls += 1
        return []
      },
      validate(claims) {
        if (claims.tenant !== 'acme') throw new ClaimInvalidError('wrong tenant', 'tenant')
      },
    }
    const build = createPrincipalBuilder(providers)
    await expect(build(verified({ tenant: 'other' }))).rejects.toThrow(code('ERR_CLAIM_INVALID'))
    expect(providerCalls).toBe(0)
    await expect(build(verified({ tenant: 'acme' }))).resolves.toBeDefined()
    expect(providerCalls).toBe(1)
  })

  it('rejects the token when validate throws a plain error', async () => {
    const build = createPrincipalBuilder({
      validate() {
        throw new Error('nope')
      },
    })
    await expect(build(verified({}))).rejects.toThrow(code('ERR_CLAIM_INVALID'))
  })

  it('checks the claims schema and gives providers the validated claims', async () => {
    interface TenantClaims extends JWTClaims {
      tenant: string
    }
    const isTenant = (claims: JWTClaims): claims is TenantClaims => typeof claims.tenant === 'string'
    const build = createPrincipalBuilder<TenantClaims>(
      { roles: ({ claims }) => [`member-of-${String(claims.tenant)}`] },
      { claims: isTenant },
    )
    const principal = await build(verified({ tenant: 'acme' }))
    expect(principal.claims.tenant).toBe('acme')
    expect(principal.roles).toEqual(['member-of-acme'])
    await expect(build(verified({ tenant: 1 }))).rejects.toThrow(code('ERR_CLAIM_INVALID'))
  })

  it('rejects bad options at construction', () => {
    expect(() => createPrincipalBuilder({ group: 'groups' } as ProvidersOptions)).toThrow(
      code('ERR_CONFIGURATION'),
    )
    expect(() => createPrincipalBuilder({ roles: 42 } as unknown as ProvidersOptions)).toThrow(
      code('ERR_CONFIGURATION'),
    )
    expect(() => createPrincipalBuilder({ roles: 'a..b' })).toThrow(code('ERR_CONFIGURATION'))
    expect(() => createPrincipalBuilder({ audienceClaim: '' })).toThrow(code('ERR_CONFIGURATION'))
    expect(() => createPrincipalBuilder({}, { claims: { tenant: 'string' } as never })).toThrow(
      code('ERR_CONFIGURATION'),
    )
  })
})
