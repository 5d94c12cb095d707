/**
 * The principal in Hono's typed context (`c.var.auth`). Builds on `recordedPrincipal` from
 * `@keygate/core/http`: asking for it before `authenticate` ran is a bug, not a 401.
 */
import type { JWTClaims, Principal } from '@keygate/core'
import { recordedPrincipal } from '@keygate/core/http'
import type { Context } from 'hono'

/** Env of routes behind `authenticate(auth)`: `c.var.auth` is the principal. */
export interface AuthEnv<C extends JWTClaims = JWTClaims> {
  Variables: { auth: Principal<C> }
}

/** Env of routes behind `authenticate(auth, { optional: true })`: anonymous gives `undefined`. */
export interface OptionalAuthEnv<C extends JWTClaims = JWTClaims> {
  Variables: { auth: Principal<C> | undefined }
}

/** Options of `getAuth`. */
export interface GetAuthOptions {
  /** The route authenticates optionally: anonymous gives `undefined`. */
  optional?: boolean
}

// Contexts let through anonymously by `optional`, told apart from "never authenticated".
const anonymous = new WeakSet<Context>()

/** Records an anonymous request (internal to this package). */
export function markAnonymous(c: Context): void {
  anonymous.add(c)
}

/** True when the request was let through without a token. */
export function isAnonymous(c: Context): boolean {
  return anonymous.has(c)
}

/**
 * The principal `authenticate` verified, typed by the claims you declare; `c.var.auth` gives
 * the same where the env is typed. Throws `ConfigurationError` when `authenticate` did not run.
 *
 * @example
 * app.get('/me', authenticate(auth), (c) => c.json({ subject: getAuth(c).subject }))
 */
export function getAuth<C extends JWTClaims = JWTClaims>(c: Context): Principal<C>
export function getAuth<C extends JWTClaims = JWTClaims>(
  c: Context,
  options: GetAuthOptions & { optional: true },
): Principal<C> | undefined
export function getAuth(c: Context, options: GetAuthOptions = {}): Principal | undefined {
  const principal = (c as Context<OptionalAuthEnv>).get('auth')
  return recordedPrincipal(principal ?? (anonymous.has(c) ? null : undefined), options, 'getAuth(c)')
}
