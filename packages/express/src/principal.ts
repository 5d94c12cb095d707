/**
 * Where the principal lives on an Express request. Builds on `recordedPrincipal` from
 * `@keygate/core/http`: asking for the principal before `authenticate` ran is a bug, not a 401.
 */
import type { JWTClaims, Principal } from '@keygate/core'
import { recordedPrincipal } from '@keygate/core/http'
import type { Request } from 'express'

/**
 * An Express request after `authenticate`: `req.auth` holds the principal, as express-jwt puts
 * its payload there. Optional in the type because Express cannot know a middleware ran; use
 * `getAuth(req)` for a non-optional, typed principal.
 */
export type AuthRequest<C extends JWTClaims = JWTClaims> = Request & { auth?: Principal<C> }

/** Options of `getAuth`. */
export interface GetAuthOptions {
  /** The route uses `authenticate(auth, { optional: true })`: anonymous gives `undefined`. */
  optional?: boolean
}

// The source of truth, so `getAuth` never returns what another middleware put on `req.auth`.
// `null` records an anonymous request let through by `optional`. A WeakMap, not a property:
// Express re-parents every request (`setPrototypeOf(req, app.request)`), after which V8 builds
// a new hidden class for each property added to it, ~1.5 µs apiece, where a WeakMap entry costs
// about a quarter of that, garbage collection included. (`req.auth` itself is the one add left.)
const recorded = new WeakMap<Request, Principal | null>()

/** Records the outcome of `authenticate` (internal to this package). */
export function setPrincipal(req: Request, principal: Principal | null): void {
  recorded.set(req, principal)
  if (principal) (req as AuthRequest).auth = principal
}

/** The recorded outcome: a principal, `null` (anonymous) or `undefined` (never authenticated). */
export function principalOf(req: Request): Principal | null | undefined {
  return recorded.get(req)
}

/**
 * The principal `authenticate` verified for this request, typed by the claims you declare.
 * Throws `ConfigurationError` when `authenticate` did not run on the route.
 *
 * @example
 * app.get('/me', authenticate(auth), (req, res) => res.json({ subject: getAuth(req).subject }))
 */
export function getAuth<C extends JWTClaims = JWTClaims>(req: Request): Principal<C>
export function getAuth<C extends JWTClaims = JWTClaims>(
  req: Request,
  options: GetAuthOptions & { optional: true },
): Principal<C> | undefined
export function getAuth(req: Request, options: GetAuthOptions = {}): Principal | undefined {
  return recordedPrincipal(principalOf(req), options, 'getAuth(req)')
}
