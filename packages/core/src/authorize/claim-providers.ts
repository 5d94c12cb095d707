import { ConfigurationError } from '../errors.js'
import { readClaim, toStringList } from './claim-values.js'
import { isPromiseLike } from './provider-call.js'
import type { Provider, ProviderInput, ProviderSpec } from './types.js'

/** Options of the claim providers. */
export interface ClaimProviderOptions {
  /** Split a string claim on this delimiter (e.g. `' '`); by default a string is one value. */
  delimiter?: string
}

// RFC 6749 §3.3: scope values are separated by spaces (%x20).
const SCOPE_DELIMITER = ' '

function named(name: string, provider: Provider): Provider {
  Object.defineProperty(provider, 'name', { value: name })
  return provider
}

function checkName(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value === '')
    throw new ConfigurationError(`${what} must be a non-empty string`)
}

/**
 * Scopes from `scope` (space-delimited, RFC 8693 §4.2 / RFC 9068 §2.2.3) or, when that is
 * absent, `scp` (an array as Okta sends it, or a space-delimited string as Entra ID sends it).
 *
 * @example createAuth({ issuer, audience, providers: { scopes: scopeClaim() } })
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3
 */
export function scopeClaim(): Provider {
  return named('scopeClaim', ({ claims }) =>
    toStringList(claims.scope !== undefined ? claims.scope : claims.scp, SCOPE_DELIMITER),
  )
}

/**
 * Values of one top-level claim, taken by its exact name (so namespaced claims such as
 * `https://example.com/roles` work): an array of strings, or a single string.
 *
 * @example providers: { groups: claim('cognito:groups') }
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.3
 */
export function claim(name: string, options: ClaimProviderOptions = {}): Provider {
  checkName(name, 'claim(name)')
  const path = [name]
  return named(`claim(${name})`, ({ claims }) => toStringList(readClaim(claims, path), options.delimiter))
}

/**
 * Values at a path of nested claims: `'realm_access.roles'`, or segments as an array when a
 * member name itself contains dots (`['resource_access', 'my.client', 'roles']`).
 *
 * @example providers: { roles: claimPath('realm_access.roles') }
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.3
 */
export function claimPath(path: string | readonly string[], options: ClaimProviderOptions = {}): Provider {
  const segments = typeof path === 'string' ? path.split('.') : [...path]
  if (segments.length === 0) throw new ConfigurationError('claimPath(path) needs at least one segment')
  for (const segment of segments) checkName(segment, 'Every segment of claimPath(path)')
  return named(`claimPath(${segments.join('.')})`, ({ claims }) =>
    toStringList(readClaim(claims, segments), options.delimiter),
  )
}

/**
 * Keycloak client roles: `resource_access.<clientId>.roles` (client IDs may contain dots).
 *
 * @example providers: { roles: resourceRoles('orders-api') }
 */
export function resourceRoles(clientId: string): Provider {
  checkName(clientId, 'resourceRoles(clientId)')
  return named(`resourceRoles(${clientId})`, claimPath(['resource_access', clientId, 'roles']))
}

/**
 * The union of several providers' values, in order, without duplicates; stays synchronous when
 * every part is.
 *
 * @example providers: { roles: combineProviders('realm_access.roles', resourceRoles('orders-api')) }
 */
export function combineProviders(...specs: readonly ProviderSpec[]): Provider {
  const providers = specs.map(toProvider)
  const union = (lists: readonly (readonly string[])[]) => [...new Set(lists.flat())]
  return named(`combineProviders(${providers.map((p) => p.name).join(', ')})`, (input: ProviderInput) => {
    const results = providers.map((provider) => provider(input))
    if (results.some(isPromiseLike)) return Promise.all(results).then(union)
    return union(results as readonly (readonly string[])[])
  })
}

/**
 * Resolves a provider spec: a function is used as is; a string is a claim name when the token
 * has a claim of exactly that name, and a dotted path otherwise.
 */
export function toProvider(spec: ProviderSpec): Provider {
  if (typeof spec === 'function') return spec
  checkName(spec, 'A provider given as a string')
  if (!spec.includes('.')) return claim(spec)
  const exact = [spec]
  const nested = spec.split('.')
  for (const segment of nested) checkName(segment, `Every segment of the claim path '${spec}'`)
  return named(`claim(${spec})`, ({ claims }) =>
    toStringList(Object.hasOwn(claims, spec) ? readClaim(claims, exact) : readClaim(claims, nested)),
  )
}
