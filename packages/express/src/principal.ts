/**
 * Where the principal lives on an Express request. Builds on `recordedPrincipal` from
 * `@keygate/core/http`: asking for the principal before `authenticate` ran is a bug, not a 401.
 */
import { ConfigurationError, type JWTClaims, type Principal } from '@keygate/core'
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

// `req.auth` is where the principal lives, but express-jwt and others put their own values there:
// only a principal this package recorded counts, so `getAuth` never returns what another
// middleware put on `req.auth`. Kept by principal, not by request: a token-cache hit hands out
// the same frozen principal again, so recording it is a lookup, not an insertion per request (a
// WeakMap keyed by request made a new entry per cached hit: 1.7-1.8 % of a loaded Express
// server's CPU profile for the recording, against 1.1-1.4 % now).
const principals = new WeakSet<Principal>()
// Requests let through anonymously by `optional`: `req.auth` stays unset for them.
const anonymous = new WeakSet<Request>()

/** Records the outcome of `authenticate` (internal to this package). */
export function setPrincipal(req: Request, principal: Principal | null): void {
  if (principal === null) {
    anonymous.add(req)
    return
  }
  principals.add(principal)
  ;(req as AuthRequest).auth = principal
}

/** The recorded outcome: a principal, `null` (anonymous) or `undefined` (never authenticated). */
export function principalOf(req: Request): Principal | null | undefined {
  const principal = (req as AuthRequest).auth
  if (principal !== undefined && principals.has(principal)) return principal
  return anonymous.has(req) ? null : undefined
}

/**
 * The principal `authenticate` verified for this request, typed by the claims you declare.
 * Throws `ConfigurationError` when `authenticate` did not run on the route, or when another
 * middleware replaced the principal on `req.auth` with its own value.
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
  const recorded = principalOf(req)
  if (recorded === undefined && (req as AuthRequest).auth !== undefined) {
    throw new ConfigurationError(
      'getAuth(req): req.auth holds a value authenticate() did not set; another middleware wrote it',
    )
  }
  return recordedPrincipal(recorded, options, 'getAuth(req)')
}
