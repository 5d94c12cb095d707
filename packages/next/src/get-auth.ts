/**
 * `getAuth(request)`: the verified caller of a route handler request, found the way `withAuth`
 * finds it — the principal `withAuth` already resolved, a genuine signed header from the
 * middleware, or the token verified here. Builds on core's `Auth.authenticate` (via
 * `resolvePrincipal`) and on `next/navigation`'s interrupts (via `interrupt`).
 */
import type { JWTClaims, Principal } from '@keygate/core'
import { boundSettings } from './binding.js'
import { interrupt } from './interrupt.js'
import type { Settings } from './options.js'
import { rememberedPrincipal, rememberPrincipal } from './request-principal.js'
import { resolvePrincipal } from './resolve-principal.js'

/** Options of `getAuth`. */
export interface GetAuthOptions {
  /** Resolve to `null` for a request without a token instead of failing; a bad token still fails. */
  optional?: boolean
}

/** `getAuth(request, options?)`. */
export interface GetAuth {
  <C extends JWTClaims = JWTClaims>(request: Request): Promise<Principal<C>>
  <C extends JWTClaims = JWTClaims>(
    request: Request,
    options: GetAuthOptions & { optional: true },
  ): Promise<Principal<C> | null>
}

/**
 * The caller of a route handler request, with the configuration bound by `createKeygate()` or
 * `authenticate()`. Throws `ConfigurationError` when none is bound, and the `AuthError` when the
 * request is not authenticated (`unauthorized()`/`forbidden()` with `interrupts`; 503 is thrown).
 *
 * @example
 * export async function GET(request: Request) {
 *   const me = await getAuth(request)
 *   return Response.json({ subject: me.subject })
 * }
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const getAuth: GetAuth = function getAuth(request: Request, options: GetAuthOptions = {}) {
  return principalOf(request, options, boundSettings)
} as GetAuth

/** Builds `getAuth` over already-resolved settings (what `createKeygate` returns). */
export function getAuthFrom(settings: Settings): GetAuth {
  return function getAuth(request: Request, options: GetAuthOptions = {}) {
    return principalOf(request, options, () => settings)
  } as GetAuth
}

async function principalOf(
  request: Request,
  options: GetAuthOptions,
  settingsOf: () => Settings,
): Promise<Principal | null> {
  const known = rememberedPrincipal(request)
  if (known) return known
  const settings = settingsOf()
  const resolution = await resolvePrincipal(request, settings, { optional: options.optional })
  if (!resolution.ok) return interrupt(resolution.error, settings, { login: false })
  if (resolution.principal) rememberPrincipal(request, resolution.principal)
  return resolution.principal
}
