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

function run(
  field: PrincipalField,
  provider: Provider,
  input: ProviderInput,
): readonly string[] | Promise<readonly string[]> {
  const what = `The ${field} provider`
  let result: ReturnType<Provider>
  try {
    result = provider(input)
  } catch (error) {
    throw providerFailure(what, error)
  }
  if (!isPromiseLike(result)) return toValues(result, what)
  return withTimeout(result, PROVIDER_BACKSTOP_TIMEOUT_MS, what).then(
    (values) => toValues(values, what),
    (error: unknown) => {
      throw providerFailure(what, error)
    },
  )
}

/**
 * Creates the builder for an issuer's principals: the preset's `validate` and the claims
 * schema first (401 `ClaimInvalidError`), then every provider at once. Fields without a provider
 * come from `scope`/`scp`, `permissions`, `groups` and `roles`. A provider that throws, rejects
 * or times out is a 503 `ProviderUnavailableError`, never an empty list.
 *
 * @example
 * const build = createPrincipalBuilder(presets.keycloak({ clientId: 'orders-api' }))
 * const principal = await build({ claims, header, token, issuer })
 */
export function createPrincipalBuilder<C extends JWTClaims = JWTClaims>(
  providers: ProvidersOptions = {},
  options: PrincipalBuilderOptions<C> = {},
): PrincipalBuilder<C> {
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
  const resolved = FIELDS.map((field) => {
    const spec = providers[field]
    if (spec === undefined) return fallback[field]
    if (typeof spec !== 'function' && typeof spec !== 'string') {
      throw new ConfigurationError(`providers.${field} must be a function or a claim name`)
    }
    return toProvider(spec)
  })
  const schema = options.claims
  if (
    schema !== undefined &&
    typeof schema !== 'function' &&
    typeof (schema as { '~standard'?: { validate?: unknown } })?.['~standard']?.validate !== 'function'
  ) {
    throw new ConfigurationError('claims must be a type guard or a Standard Schema v1 object')
  }

  return async function buildPrincipal({ claims, header, token, issuer }) {
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
    const input: ProviderInput = { claims: typed, header, token, issuer }
    const pending = resolved.map((provider, i) => {
      // A sync throw becomes a rejection, so Promise.all still observes every other call.
      try {
        return run(FIELDS[i]!, provider, input)
      } catch (error) {
        return Promise.reject(error)
      }
    })
    // Claim-only providers (the common case) answer synchronously: skip the extra await.
    const [scopes, permissions, groups, roles] = pending.some(isPromiseLike)
      ? await Promise.all(pending)
      : (pending as (readonly string[])[])
    return {
      subject: typeof claims.sub === 'string' ? claims.sub : undefined,
      issuer,
      claims: typed,
      header,
      token,
      scopes: scopes!,
      permissions: permissions!,
      groups: groups!,
      roles: roles!,
    }
  }
}
