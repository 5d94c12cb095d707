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

// The source of truth, so `getAuth` never returns what another middleware put on `req.auth`;
// a symbol property (not a WeakMap) costs the garbage collector nothing per request.
// `null` records an anonymous request let through by `optional`.
const PRINCIPAL = Symbol('keygate.principal')
type Recorded = Request & { [PRINCIPAL]?: Principal | null }

/** Records the outcome of `authenticate` (internal to this package). */
export function setPrincipal(req: Request, principal: Principal | null): void {
  ;(req as Recorded)[PRINCIPAL] = principal
  if (principal) (req as AuthRequest).auth = principal
}

/** The recorded outcome: a principal, `null` (anonymous) or `undefined` (never authenticated). */
export function principalOf(req: Request): Principal | null | undefined {
  return (req as Recorded)[PRINCIPAL]
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
