/**
 * `auth()` and `requireAuth()` for server components and server actions, reading the request
 * headers through `next/headers`. Same rule as route handlers: the signed principal header
 * counts only when genuine, else the token is verified here.
 * Builds on core's `Auth.authenticate` and `authorize` (via `resolvePrincipal`), and on
 * `next/navigation`'s `redirect`, `unauthorized` and `forbidden` (via `interrupt`).
 */
import type { JWTClaims, Principal, Requirement } from '@keygate/core'
import { headers } from 'next/headers.js'
import { interrupt } from './interrupt.js'
import { type KeygateOptions, resolveSettings, type Settings } from './options.js'
import { resolvePrincipal } from './resolve-principal.js'

/** The server-side functions bound to one configuration. */
export interface ServerAuth {
  /**
   * The caller, or `null` when the request carries no token. Throws the `AuthError` for a bad
   * token or when keys cannot be had (a bad token is never anonymous); with `interrupts`, a bad
   * token calls `unauthorized()` instead. `auth<MyClaims>()` types `claims` (an assertion: the
   * claims are not validated against `MyClaims`), like `requireAuth<MyClaims>()` and `getAuth<MyClaims>()`.
   */
  auth<C extends JWTClaims = JWTClaims>(): Promise<Principal<C> | null>
  /**
   * The caller, meeting `requirement` if given. A missing or bad token (400/401) redirects to
   * `loginUrl`, else calls `unauthorized()` with `interrupts`; an unmet requirement (403) calls
   * `forbidden()` with `interrupts`. Otherwise, and always for 503, throws the `AuthError`.
   */
  requireAuth<C extends JWTClaims = JWTClaims>(requirement?: Requirement): Promise<Principal<C>>
}

/**
 * Creates `auth()` and `requireAuth()` for server components and server actions.
 *
 * @example
 * const { auth } = createServerAuth({ authOptions })
 * export default async function Page() { const me = await auth(); return <p>{me?.subject ?? 'guest'}</p> }
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function createServerAuth(options: KeygateOptions): ServerAuth {
  return serverAuthFrom(resolveSettings(options))
}

/** Builds the server functions over already-resolved settings (shared with `createKeygate`). */
export function serverAuthFrom(settings: Settings): ServerAuth {
  return {
    // The claims type `C` is the caller's assertion, as in `getAuth<C>`.
    async auth<C extends JWTClaims>() {
      const resolution = await resolvePrincipal({ headers: await headers() }, settings, { optional: true })
      if (!resolution.ok) return interrupt(resolution.error, settings, { login: false })
      return resolution.principal as Principal<C> | null
    },
    async requireAuth<C extends JWTClaims>(requirement?: Requirement) {
      const resolution = await resolvePrincipal({ headers: await headers() }, settings, { requirement })
      if (!resolution.ok) return interrupt(resolution.error, settings, { login: true })
      // Not optional: a resolved principal is never `null` here.
      return resolution.principal as Principal<C>
    },
  }
}
