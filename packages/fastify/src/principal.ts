/**
 * Where the principal lives on a Fastify request (`request.auth`, decorated by the plugin).
 * Builds on `recordedPrincipal` from `@keygate/core/http`: asking for it before authentication
 * ran is a bug, not a 401.
 */
import type { JWTClaims, Principal } from '@keygate/core'
import { recordedPrincipal } from '@keygate/core/http'
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
  return recordedPrincipal(
    request.auth ?? (anonymous.has(request) ? null : undefined),
    options,
    'getAuth(request)',
  )
}
