/**
 * `authenticate(auth, options)`, the verb every Keygate framework package shares: in Next.js,
 * the function `middleware.ts` or `proxy.ts` exports. The same gate as `createMiddleware`, and
 * it binds its configuration for the standalone `getAuth(request)`.
 * Builds on core's `Auth` (via `createMiddleware`'s settings).
 */
import type { Auth, AuthOptions } from '@keygate/core'
import { bindSettings } from './binding.js'
import { type KeygateMiddleware, middlewareFrom } from './middleware.js'
import { type KeygateOptions, resolveSettings } from './options.js'

/** Options of `authenticate`: every option of `createKeygate` but the auth itself. */
export type AuthenticateOptions = Omit<KeygateOptions, 'auth' | 'authOptions'>

/**
 * Creates the middleware for `middleware.ts` (edge) or `proxy.ts` (Node) from a ready `Auth`
 * or from `createAuth` options (then created on the first request).
 *
 * @example
 * // proxy.ts
 * export const proxy = authenticate({ issuer: 'https://login.example.com/', audience: 'api://orders' }, {
 *   publicRoutes: ['/', '/health'],
 * })
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function authenticate(auth: Auth | AuthOptions, options: AuthenticateOptions = {}): KeygateMiddleware {
  const own = isAuth(auth) ? { auth } : { authOptions: auth }
  return middlewareFrom(bindSettings(resolveSettings({ ...options, ...own })))
}

// An `Auth` is what `createAuth` returned; options are plain data with no methods.
function isAuth(value: Auth | AuthOptions): value is Auth {
  return typeof (value as Partial<Auth> | undefined)?.authenticate === 'function'
}
