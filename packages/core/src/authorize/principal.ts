import { AuthError, ClaimInvalidError, ConfigurationError } from '../errors.js'
import type { JWTClaims, Principal } from '../types.js'
import type { VerifiedToken } from '../verify/types.js'
import { claim, scopeClaim, toProvider } from './claim-providers.js'
import { type ClaimsSchema, validateClaims } from './claims-schema.js'
import { isPromiseLike, providerFailure, toValues, withTimeout } from './provider-call.js'
import type { PrincipalField, Provider, ProviderInput, ProvidersOptions } from './types.js'

/**
 * Turns verified tokens into principals for one issuer. Built once per issuer at
 * construction (options are validated there), called once per verification.
 */
export type PrincipalBuilder<C extends JWTClaims = JWTClaims> = (
  verified: VerifiedToken,
) => Promise<Principal<C>>

/**
 * The verifier's form of a `PrincipalBuilder`: it answers synchronously when every provider
 * does (claim providers, the common case), so a verification pays for no extra promise; it
 * returns a promise when a provider is asynchronous, and throws (or rejects) an `AuthError`.
 */
export type PrincipalResolver<C extends JWTClaims = JWTClaims> = (
  verified: VerifiedToken,
) => Principal<C> | Promise<Principal<C>>

/** Options of `createPrincipalBuilder` beyond the providers. */
export interface PrincipalBuilderOptions<C extends JWTClaims = JWTClaims> {
  /** Runtime shape of the custom claims; checked before any provider runs. */
  claims?: ClaimsSchema<C>
}

// A backstop for async providers not wrapped in cachedProvider (which has its own, shorter,
// timeout): a hung directory must not hang every request behind it.
const PROVIDER_BACKSTOP_TIMEOUT_MS = 10_000

const FIELDS: readonly PrincipalField[] = ['scopes', 'permissions', 'groups', 'roles']
const KNOWN_KEYS = new Set<string>([...FIELDS, 'validate', 'audienceClaim'])

function defaults(): Record<PrincipalField, Provider> {
  return {
    scopes: scopeClaim(),
    permissions: claim('permissions'),
    groups: claim('groups'),
    roles: claim('roles'),
  }
}

// What a failing provider is called in its error; built once, not per call.
const DESCRIPTIONS: Readonly<Record<PrincipalField, string>> = {
  scopes: 'The scopes provider',
  permissions: 'The permissions provider',
  groups: 'The groups provider',
  roles: 'The roles provider',
}

// A provider's values, or a promise of them: synchronous providers answer without one.
type Outcome = readonly string[] | Promise<readonly string[]>

// Calls one provider. A synchronous failure becomes a rejection, so that the other providers
// are still called and Promise.all observes every one of them.
function run(provider: Provider, input: ProviderInput, what: string): Outcome {
  let result: ReturnType<Provider>
  try {
    result = provider(input)
    if (!isPromiseLike(result)) return toValues(result, what)
  } catch (error) {
    return Promise.reject(providerFailure(what, error))
  }
  return withTimeout(result, PROVIDER_BACKSTOP_TIMEOUT_MS, what).then(
    (values) => toValues(values, what),
    (error: unknown) => {
      throw providerFailure(what, error)
    },
  )
}

/**
 * Creates the verifier's principal resolver for an issuer (see `createPrincipalBuilder` for
 * the rules). Everything that does not depend on the token is worked out here, so a call with
 * claim providers allocates little more than the principal and its lists, and returns it
 * without a promise.
 *
 * @example
 * const resolve = createPrincipalResolver(presets.keycloak({ clientId: 'orders-api' }))
 * const principal = await resolve({ claims, header, token, issuer })
 */
export function createPrincipalResolver<C extends JWTClaims = JWTClaims>(
  providers: ProvidersOptions = {},
  options: PrincipalBuilderOptions<C> = {},
): PrincipalResolver<C> {
  if (typeof providers !== 'object' || providers === null) {
    throw new ConfigurationError('providers must be an object')
  }
  for (const key of Object.keys(providers)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigurationError(`Unknown providers option '${key}'`)
  }
  const { validate, audienceClaim } = providers
  if (validate !== undefined && typeof validate !== 'function') {
    throw new ConfigurationError('providers.validate must be a function')
  }
  if (audienceClaim !== undefined && (typeof audienceClaim !== 'string' || audienceClaim === '')) {
    throw new ConfigurationError('providers.audienceClaim must be a claim name')
  }
  const fallback = defaults()
  const resolve = (field: PrincipalField): Provider => {
    const spec = providers[field]
    if (spec === undefined) return fallback[field]
    if (typeof spec !== 'function' && typeof spec !== 'string') {
      throw new ConfigurationError(`providers.${field} must be a function or a claim name`)
    }
    return toProvider(spec)
  }
  const scopesProvider = resolve('scopes')
  const permissionsProvider = resolve('permissions')
  const groupsProvider = resolve('groups')
  const rolesProvider = resolve('roles')
  const schema = options.claims
  if (
    schema !== undefined &&
    typeof schema !== 'function' &&
    typeof (schema as { '~standard'?: { validate?: unknown } })?.['~standard']?.validate !== 'function'
  ) {
    throw new ConfigurationError('claims must be a type guard or a Standard Schema v1 object')
  }

  function principal(
    verified: VerifiedToken,
    claims: C,
    scopes: readonly string[],
    permissions: readonly string[],
    groups: readonly string[],
    roles: readonly string[],
  ): Principal<C> {
    const { sub } = verified.claims
    return {
      subject: typeof sub === 'string' ? sub : undefined,
      issuer: verified.issuer,
      claims,
      header: verified.header,
      token: verified.token,
      scopes,
      permissions,
      groups,
      roles,
    }
  }

  // Some provider answered with a promise or failed: wait for every call, as Promise.all does.
  async function settle(
    verified: VerifiedToken,
    claims: C,
    pending: readonly [Outcome, Outcome, Outcome, Outcome],
  ): Promise<Principal<C>> {
    const [scopes, permissions, groups, roles] = await Promise.all(pending)
    return principal(verified, claims, scopes, permissions, groups, roles)
  }

  return function resolvePrincipal(verified) {
    const { claims, header } = verified
    if (validate !== undefined) {
      try {
        validate(claims, header)
      } catch (error) {
        // A validator that throws something else still rejects the token: fail closed.
        throw AuthError.is(error)
          ? error
          : new ClaimInvalidError('The token failed the issuer check', 'claims', { cause: error })
      }
    }
    const typed = schema === undefined ? (claims as C) : validateClaims(schema, claims)
    // The verified token has the provider input's shape: reused unless the schema made new claims.
    const input: ProviderInput =
      typed === claims ? verified : { claims: typed, header, token: verified.token, issuer: verified.issuer }
    // Every provider is called, once, even when an earlier one failed.
    const scopes = run(scopesProvider, input, DESCRIPTIONS.scopes)
    const permissions = run(permissionsProvider, input, DESCRIPTIONS.permissions)
    const groups = run(groupsProvider, input, DESCRIPTIONS.groups)
    const roles = run(rolesProvider, input, DESCRIPTIONS.roles)
    // Claim-only providers (the common case) answer synchronously: no promise at all.
    if (
      scopes instanceof Promise ||
      permissions instanceof Promise ||
      groups instanceof Promise ||
      roles instanceof Promise
    ) {
      return settle(verified, typed, [scopes, permissions, groups, roles])
    }
    return principal(verified, typed, scopes, permissions, groups, roles)
  }
}

/**
 * Creates the builder for an issuer's principals: the preset's `validate` and the claims
 * schema first (401 `ClaimInvalidError`), then every provider at once. Fields without a provider
 * come from `scope`/`scp`, `permissions`, `groups` and `roles`. A provider that throws, rejects
 * or times out is a 503 `ProviderUnavailableError`, never an empty list. Always answers with a
 * promise; failures are rejections, never synchronous throws.
 *
 * @example
 * const build = createPrincipalBuilder(presets.keycloak({ clientId: 'orders-api' }))
 * const principal = await build({ claims, header, token, issuer })
 */
export function createPrincipalBuilder<C extends JWTClaims = JWTClaims>(
  providers: ProvidersOptions = {},
  options: PrincipalBuilderOptions<C> = {},
): PrincipalBuilder<C> {
  const resolve = createPrincipalResolver<C>(providers, options)
  return function buildPrincipal(verified) {
    try {
      return Promise.resolve(resolve(verified))
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
