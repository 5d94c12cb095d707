import type { Principal } from '../types.js'
import type { VerifiedToken } from '../verify/types.js'
import type { ProvidersOptions } from './types.js'

/**
 * Turns verified tokens into principals for one issuer. Built once per issuer at
 * construction (options are validated there), called once per verification.
 */
export type PrincipalBuilder = (verified: VerifiedToken) => Promise<Principal>

function claimList(value: unknown, spaceDelimited: boolean): string[] {
  if (typeof value === 'string') return spaceDelimited ? value.split(' ').filter(Boolean) : [value]
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}

/**
 * Creates the builder for an issuer's principals: scopes from `scope`/`scp`, permissions,
 * groups and roles from the claims of the same names, unless providers say otherwise.
 */
export function createPrincipalBuilder(_providers: ProvidersOptions = {}): PrincipalBuilder {
  return async ({ claims, header, token, issuer }) => ({
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    issuer,
    claims,
    header,
    token,
    scopes: claims.scope !== undefined ? claimList(claims.scope, true) : claimList(claims.scp, true),
    permissions: claimList(claims.permissions, false),
    groups: claimList(claims.groups, false),
    roles: claimList(claims.roles, false),
  })
}
