import { authorize } from '../authorize/authorize.js'
import type { AuthorizeResult, Requirement } from '../authorize/types.js'
import { ConfigurationError, TokenMissingError } from '../errors.js'
import type { JWTClaims, Principal } from '../types.js'
import type { AuthenticateOptions } from '../verify/types.js'

/**
 * What every framework package's `authenticate(auth, options)` accepts, whatever its request
 * type `R` (an Express `Request`, a Fastify request, a Hono `Context`…).
 */
export interface AdapterAuthenticateOptions<R> {
  /** Let requests without any token through anonymously; a bad token is still rejected. */
  optional?: boolean
  /** Finds the token yourself (a cookie, another header), as ApoJWT's `token_finder`. */
  getToken?: (request: R) => string | undefined | null | Promise<string | undefined | null>
  /** Accept `?access_token=` (RFC 6750 §2.3). Default false: URLs end up in logs. */
  allowQuery?: boolean
}

/**
 * Turns an adapter's options into the per-request options of `auth.authenticate`, once: the
 * same frozen object for every request unless a token finder needs the framework's request.
 *
 * @example
 * const optionsFor = authenticateOptionsFor(options)
 * const result = await auth.authenticate(fromNodeRequest(req), optionsFor(req))
 */
export function authenticateOptionsFor<R>(
  options: AdapterAuthenticateOptions<R>,
): (request: R) => AuthenticateOptions {
  const { optional = false, allowQuery = false, getToken } = options
  if (getToken === undefined) {
    const fixed: AuthenticateOptions = Object.freeze({ optional, allowQuery })
    return () => fixed
  }
  return (request) => ({ optional, allowQuery, getToken: () => getToken(request) })
}

/**
 * The `getAuth` rule every adapter shares: a recorded principal is returned; an anonymous
 * request (`null`) gives `undefined` only when the caller said the route is optional; a
 * request that never went through authentication (`undefined`) is a wiring bug.
 *
 * @example
 * return recordedPrincipal(request.auth ?? (anonymous.has(request) ? null : undefined), options, 'getAuth(request)')
 */
export function recordedPrincipal<C extends JWTClaims = JWTClaims>(
  recorded: Principal<C> | null | undefined,
  options: { optional?: boolean },
  call: string,
): Principal<C> | undefined {
  if (recorded) return recorded
  if (recorded === null) {
    if (options.optional) return undefined
    throw new ConfigurationError(`The route authenticates optionally: call ${call} with { optional: true }`)
  }
  throw new ConfigurationError(`${call} needs authentication to run on this route first`)
}

/**
 * The `authorize(requirement)` rule every adapter shares, on what `authenticate` recorded: a
 * principal is checked against `required` (validated once by `defineRequirement`); a request
 * let through anonymously by `optional` (`null`) is refused as one without a token (401); a
 * route where authentication never ran (`undefined`) is a wiring bug, a rejected
 * `ConfigurationError`.
 *
 * @example
 * const result = await authorizeRecorded(request.auth ?? (anonymous.has(request) ? null : undefined), required)
 * if (!result.ok) return sendError(result.error, request, reply)
 */
export async function authorizeRecorded<C extends JWTClaims = JWTClaims>(
  recorded: Principal<C> | null | undefined,
  required: Requirement,
): Promise<AuthorizeResult> {
  if (recorded === undefined) {
    throw new ConfigurationError('authorize() needs authentication to run first on this route')
  }
  if (recorded === null) return { ok: false, error: new TokenMissingError() }
  return authorize(recorded as Principal, required)
}
