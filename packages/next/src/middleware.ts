/**
 * The gate for `middleware.ts` (edge runtime) and `proxy.ts` (Next.js 16, Node runtime):
 * public routes pass, everything else is authenticated; the verified principal reaches route
 * handlers in a header signed here, after any incoming copy has been stripped.
 * Builds on core's `Auth.authenticate` and `authorize`. Imports nothing from Node.
 */
import { authorize } from '@keygate/core'
import { type NextRequest, NextResponse } from 'next/server.js'
import { type KeygateOptions, resolveSettings, type Settings } from './options.js'
import { reject } from './reject.js'
import { compileRoutes } from './route-matcher.js'
import { PRINCIPAL_HEADER, signPrincipal } from './signed-principal.js'

/** What `middleware.ts` / `proxy.ts` export. */
export type KeygateMiddleware = (request: NextRequest) => Promise<Response>

/** Keeps forwarded request headers well under Node's 16 KiB default; bigger principals are re-verified downstream. */
const MAX_PRINCIPAL_HEADER_BYTES = 8192

/**
 * Creates the middleware function for `middleware.ts` or `proxy.ts`.
 *
 * @example
 * // middleware.ts
 * export const middleware = createMiddleware({ authOptions, publicRoutes: ['/', '/health'] })
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function createMiddleware(options: KeygateOptions): KeygateMiddleware {
  return middlewareFrom(resolveSettings(options))
}

/** Builds the middleware over already-resolved settings (shared with `createKeygate`). */
export function middlewareFrom(settings: Settings): KeygateMiddleware {
  const { options } = settings
  const isPublic = compileRoutes(options.publicRoutes)
  const isOptional =
    typeof options.optional === 'boolean' ? () => options.optional === true : compileRoutes(options.optional)
  const { requirement: fixed } = options
  const requirementFor = typeof fixed === 'function' ? fixed : () => fixed

  return async function keygateMiddleware(request) {
    // CVE-2025-29927: whatever the client sent under our header name is dropped first, on every path.
    const headers = new Headers(request.headers)
    headers.delete(PRINCIPAL_HEADER)
    const forward = () => NextResponse.next({ request: { headers } })
    const pathname = request.nextUrl.pathname
    if (isPublic(pathname)) return forward()

    // With `optional`, core answers a request without any token with `principal: null`.
    const result = await settings
      .getAuth()
      .authenticate(
        request,
        isOptional(pathname) ? settings.optionalAuthenticateOptions : settings.authenticateOptions,
      )
    if (!result.ok) return reject(result.error, request, settings)
    if (result.principal === null) return forward()
    const requirement = requirementFor(request)
    if (requirement) {
      const verdict = await authorize(result.principal, requirement)
      if (!verdict.ok) return reject(verdict.error, request, settings)
    }
    if (settings.secret !== undefined) {
      const signed = await signPrincipal(result.principal, {
        secret: settings.secret,
        ttl: options.principalTTL,
        now: settings.now(),
      })
      if (signed.length <= MAX_PRINCIPAL_HEADER_BYTES) headers.set(PRINCIPAL_HEADER, signed)
    }
    return forward()
  }
}
