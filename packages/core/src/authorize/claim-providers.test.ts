import { describe, expect, it } from 'vitest'
import type { JWTClaims } from '../types.js'
import {
  claim,
  claimPath,
  combineProviders,
  resourceRoles,
  scopeClaim,
  toProvider,
} from './claim-providers.js'
import type { ProviderInput } from './types.js'

const input = (claims: JWTClaims): ProviderInput => ({
  claims,
  header: { alg: 'RS256' },
  token: 'h.p.s',
  issuer: 'https://issuer.test',
})

describe('scopeClaim', () => {
  it('splits a space-delimited scope', () => {
    expect(scopeClaim()(input({ scope: 'openid  orders:read orders:write' }))).toEqual([
      'openid',
      'orders:read',
      'orders:write',
    ])
  })

  it('reads scp as an array (Okta) or a space-delimited string (Entra ID)', () => {
    expect(scopeClaim()(input({ scp: ['openid', 'orders.read'] }))).toEqual(['openid', 'orders.read'])
    expect(scopeClaim()(input({ scp: 'User.Read Files.Read' }))).toEqual(['User.Read', 'Files.Read'])
  })

  it('prefers scope over scp and gives [] when neither is there', () => {
    expect(scopeClaim()(input({ scope: 'a', scp: ['b'] }))).toEqual(['a'])
    expect(scopeClaim()(input({}))).toEqual([])
  })
})

describe('claim', () => {
  it('takes arrays and single strings, dropping non-string entries', () => {
    expect(claim('groups')(input({ groups: ['a', 1, null, 'b', { x: 1 }] }))).toEqual(['a', 'b'])
    expect(claim('groups')(input({ groups: 'admins' }))).toEqual(['admins'])
    expect(claim('groups', { delimiter: ',' })(input({ groups: 'a,b,,c' }))).toEqual(['a', 'b', 'c'])
  })

  it('gives [] for a claim of the wrong type or a missing one', () => {
    expect(claim('roles')(input({ roles: { admin: true } }))).toEqual([])
    expect(claim('roles')(input({ roles: 42 }))).toEqual([])
    expect(claim('roles')(input({}))).toEqual([])
  })

  it('reads namespaced claim names exactly', () => {
    expect(claim('https://example.com/roles')(input({ 'https://example.com/roles': ['admin'] }))).toEqual([
      'admin',
    ])
  })

  it('rejects an empty name at construction', () => {
    expect(() => claim('')).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
  })
})

describe('claimPath', () => {
  const keycloak = {
    realm_access: { roles: ['manager', 7] },
    resource_access: { 'orders.api': { roles: ['orders:read'] }, account: { roles: ['view-profile'] } },
  }

  it('follows dotted paths and segment arrays', () => {
    expect(claimPath('realm_access.roles')(input(keycloak))).toEqual(['manager'])
    expect(claimPath(['resource_access', 'orders.api', 'roles'])(input(keycloak))).toEqual(['orders:read'])
    expect(resourceRoles('orders.api')(input(keycloak))).toEqual(['orders:read'])
    expect(resourceRoles('account')(input(keycloak))).toEqual(['view-profile'])
  })

  it('gives [] when a step is missing, not an object, or an inherited member', () => {
    expect(claimPath('realm_access.roles')(input({ realm_access: ['x'] }))).toEqual([])
    expect(claimPath('realm_access.roles')(input({ realm_access: 'x' }))).toEqual([])
    expect(claimPath('a.b.c')(input({}))).toEqual([])
    expect(claimPath('constructor.name')(input({}))).toEqual([])
    expect(resourceRoles('missing')(input(keycloak))).toEqual([])
  })

  it('rejects empty segments at construction', () => {
    expect(() => claimPath('a..b')).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
    expect(() => claimPath([])).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
  })
})

describe('toProvider (string shorthand)', () => {
  it('uses an exact claim name first, then a dotted path', () => {
    expect(toProvider('permissions')(input({ permissions: ['p'] }))).toEqual(['p'])
    expect(toProvider('realm_access.roles')(input({ realm_access: { roles: ['r'] } }))).toEqual(['r'])
    expect(toProvider('https://example.com/roles')(input({ 'https://example.com/roles': ['x'] }))).toEqual([
      'x',
    ])
  })
})

describe('combineProviders', () => {
  it('unions values without duplicates and stays sync when every part is', () => {
    const roles = combineProviders('realm_access.roles', resourceRoles('api'))
    const result = roles(
      input({ realm_access: { roles: ['a', 'b'] }, resource_access: { api: { roles: ['b', 'c'] } } }),
    )
    expect(result).toEqual(['a', 'b', 'c'])
  })

  it('awaits async parts', async () => {
    const roles = combineProviders('roles', async () => ['db-role'])
    const result = roles(input({ roles: ['token-role'] }))
    expect(result).toBeInstanceOf(Promise)
    expect(await result).toEqual(['token-role', 'db-role'])
  })
})
