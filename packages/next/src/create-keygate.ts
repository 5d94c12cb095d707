/**
 * One configuration, every Next.js entry point: `middleware` (edge), `proxy` (Node), `withAuth`
 * and `getAuth` for route handlers, `auth()`/`requireAuth()` for server components and server
 * actions. Builds on core's `createAuth` (via `resolveSettings`).
 */
import { bindSettings } from './binding.js'
import { type GetAuth, getAuthFrom } from './get-auth.js'
import type { KeygateMiddleware } from './middleware.js'
import { middlewareFrom } from './middleware.js'
import { type KeygateOptions, resolveSettings } from './options.js'
import { type ServerAuth, serverAuthFrom } from './server-auth.js'
import { type WithAuth, withAuthFrom } from './with-auth.js'

/** Everything `createKeygate` returns. */
export interface Keygate extends ServerAuth {
  /** For `middleware.ts` (edge runtime, Next.js 15/16). */
  middleware: KeygateMiddleware
  /** For `proxy.ts` (Node runtime, Next.js 16): the same gate under the name Next.js expects. */
  proxy: KeygateMiddleware
  withAuth: WithAuth
  /** The caller of a route handler request (see the standalone `getAuth`), with this configuration. */
  getAuth: GetAuth
}

/**
 * Configures Keygate once for a Next.js app, and binds that configuration for the standalone
 * `getAuth(request)`. The `Auth` is created on the first request, so `next build` imports this
 * module without needing issuer settings.
 *
 * @example
 * // lib/keygate.ts
 * export const { middleware, proxy, withAuth, auth, requireAuth } = createKeygate({
 *   authOptions: { issuer: 'https://login.example.com/', audience: 'api://orders' },
 *   publicRoutes: ['/', '/health'],
 * })
 */
export function createKeygate(options: KeygateOptions): Keygate {
  const settings = bindSettings(resolveSettings(options))
  const middleware = middlewareFrom(settings)
  return {
    middleware,
    proxy: middleware,
    withAuth: withAuthFrom(settings),
    getAuth: getAuthFrom(settings),
    ...serverAuthFrom(settings),
  }
}
