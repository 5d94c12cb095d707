/**
 * `auth()` and `requireAuth()` for server components and server actions, reading the request
 * headers through `next/headers`. Same rule as route handlers: the signed principal header
 * counts only when genuine, else the token is verified here.
 * Builds on core's `Auth.authenticate` and `authorize` (via `resolvePrincipal`).
 */
import type { Principal, Requirement } from '@keygate/core'
import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { type KeygateOptions, resolveSettings, type Settings } from './options.js'
import { resolvePrincipal } from './resolve-principal.js'

/** The server-side functions bound to one configuration. */
export interface ServerAuth {
  /**
   * The caller, or `null` when the request carries no token. Throws the `AuthError` for a bad
   * token or when keys cannot be had (a bad token is never anonymous).
   */
  auth(): Promise<Principal | null>
  /**
   * The caller, meeting `requirement` if given. Throws the `AuthError` (`ERR_TOKEN_MISSING`,
   * `ERR_INSUFFICIENT_SCOPE`, …); with `loginUrl`, a 401-class failure redirects there instead.
   */
  requireAuth(requirement?: Requirement): Promise<Principal>
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
    async auth() {
      const resolution = await resolvePrincipal({ headers: await headers() }, settings, { optional: true })
      if (!resolution.ok) throw resolution.error
      return resolution.principal
    },
    async requireAuth(requirement) {
      const resolution = await resolvePrincipal({ headers: await headers() }, settings, { requirement })
      if (resolution.ok && resolution.principal) return resolution.principal
      const error = resolution.ok ? undefined : resolution.error
      if (settings.options.loginUrl !== undefined && error?.status === 401)
        redirect(settings.options.loginUrl)
      throw error
    },
  }
}
