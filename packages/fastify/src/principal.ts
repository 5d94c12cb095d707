/**
 * Where the principal lives on a Fastify request (`request.auth`, decorated by the plugin).
 * Builds on `ConfigurationError` from `@keygate/core`: asking for it before authentication
 * ran is a bug, not a 401.
 */
import { ConfigurationError, type JWTClaims, type Principal } from '@keygate/core'
import type { FastifyRequest } from 'fastify'

/** Options of `getAuth`. */
export interface GetAuthOptions {
  /** The route authenticates optionally: anonymous gives `undefined`. */
  optional?: boolean
}

// Requests let through anonymously by `optional`; `request.auth` stays null for them.
const anonymous = new WeakSet<FastifyRequest>()

/** Records the outcome of authentication (internal to this package). */
export function setPrincipal(request: FastifyRequest, principal: Principal | null): void {
  if (principal) request.auth = principal
  else anonymous.add(request)
}

/** True when the request was let through without a token. */
export function isAnonymous(request: FastifyRequest): boolean {
  return anonymous.has(request)
}

/**
 * The principal verified for this request, typed by the claims you declare. Throws
 * `ConfigurationError` when authentication did not run on the route.
 *
 * @example
 * fastify.get('/me', { onRequest: fastify.authenticate }, async (request) => getAuth(request).subject)
 */
export function getAuth<C extends JWTClaims = JWTClaims>(request: FastifyRequest): Principal<C>
export function getAuth<C extends JWTClaims = JWTClaims>(
  request: FastifyRequest,
  options: GetAuthOptions & { optional: true },
): Principal<C> | undefined
export function getAuth(request: FastifyRequest, options: GetAuthOptions = {}): Principal | undefined {
  const principal = request.auth
  if (principal) return principal
  if (anonymous.has(request) && options.optional) return undefined
  throw new ConfigurationError(
    anonymous.has(request)
      ? 'The route authenticates optionally: call getAuth(request, { optional: true })'
      : 'getAuth() needs authentication (fastify.authenticate or config.auth) to run on this route first',
  )
}
