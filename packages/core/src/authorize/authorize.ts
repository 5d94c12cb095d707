import { InsufficientScopeError, type MissingRequirement } from '../errors.js'
import type { JWTClaims, Principal } from '../types.js'
import { providerFailure } from './provider-call.js'
import { normalizeRequirement } from './requirement.js'
import type { AuthorizeResult, PrincipalField, Requirement } from './types.js'

const OK: AuthorizeResult = Object.freeze({ ok: true })

/** A predicate's name for errors and docs: inline arrows have none. */
export function predicateName(predicate: { name: string }): string {
  return predicate.name === '' ? 'anonymous' : predicate.name
}

function describeMissing(missing: MissingRequirement, anyOf: ReadonlySet<PrincipalField>): string {
  const parts = Object.entries(missing).map(([field, values]) =>
    field === 'predicate'
      ? `predicate ${values as string}`
      : `${anyOf.has(field as PrincipalField) ? 'any of ' : ''}${field} ${(values as string[]).join(', ')}`,
  )
  return `Missing ${parts.join('; ')}`
}

/**
 * Decides whether a principal meets a requirement: every all-of value and at least one any-of
 * value of each field, then each predicate in order; holding `adminPermission` passes it all.
 * A miss is `{ ok: false }` with a 403 `InsufficientScopeError` whose `missing` lists what was
 * needed (for an unmet any-of, all of its values); scopes go into the challenge's `scope=`.
 * A predicate that throws is a 503 `ProviderUnavailableError` (a Keygate error passes through).
 * A malformed requirement is a bug and throws `ConfigurationError`.
 *
 * @example
 * const result = await authorize(principal, { permissions: ['orders:write'], adminPermission: 'admin' })
 * if (!result.ok) return toResponse(result.error)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export async function authorize<C extends JWTClaims = JWTClaims>(
  principal: Principal<C>,
  requirement: Requirement<C>,
): Promise<AuthorizeResult> {
  const { matches, predicates, adminPermission } = normalizeRequirement(requirement as Requirement)
  if (adminPermission !== undefined && principal.permissions.includes(adminPermission)) return OK
  const missing: MissingRequirement = {}
  const unmetAnyOf = new Set<PrincipalField>()
  for (const { field, allOf, anyOf } of matches) {
    const held = new Set(principal[field])
    const lacking = allOf.filter((value) => !held.has(value))
    if (anyOf.length > 0 && !anyOf.some((value) => held.has(value))) {
      if (lacking.length === 0) unmetAnyOf.add(field)
      lacking.push(...anyOf.filter((value) => !lacking.includes(value)))
    }
    if (lacking.length > 0) missing[field] = lacking
  }
  if (Object.keys(missing).length > 0) {
    return { ok: false, error: new InsufficientScopeError(describeMissing(missing, unmetAnyOf), missing) }
  }
  for (const predicate of predicates as readonly ((p: Principal<C>) => boolean | Promise<boolean>)[]) {
    const name = predicateName(predicate)
    let passed: unknown
    try {
      passed = await predicate(principal)
    } catch (error) {
      return { ok: false, error: providerFailure(`The predicate ${name}`, error) }
    }
    // Only `true` passes: a predicate that forgets to return must not allow.
    if (passed !== true) {
      return {
        ok: false,
        error: new InsufficientScopeError(`Missing predicate ${name}`, { predicate: name }),
      }
    }
  }
  return OK
}
