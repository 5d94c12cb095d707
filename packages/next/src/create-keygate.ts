/**
 * One configuration, every Next.js entry point: `middleware` (edge), `proxy` (Node), `withAuth`
 * for route handlers, `auth()`/`requireAuth()` for server components and server actions.
 * Builds on core's `createAuth` (via `resolveSettings`).
 */
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
}

/**
 * Configures Keygate once for a Next.js app. The `Auth` is created on the first request, so
 * `next build` imports this module without needing issuer settings.
 *
 * @example
 * // lib/keygate.ts
 * export const { middleware, proxy, withAuth, auth, requireAuth } = createKeygate({
 *   authOptions: { issuer: 'https://login.example.com/', audience: 'api://orders' },
 *   publicRoutes: ['/', '/health'],
 * })
 */
export function createKeygate(options: KeygateOptions): Keygate {
  const settings = resolveSettings(options)
  const middleware = middlewareFrom(settings)
  return { middleware, proxy: middleware, withAuth: withAuthFrom(settings), ...serverAuthFrom(settings) }
}
