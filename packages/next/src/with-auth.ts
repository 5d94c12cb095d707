/**
 * `withAuth` for App Router route handlers: the second gate after the middleware. It accepts
 * the middleware's signed principal header only when genuine, and otherwise verifies the token
 * itself. Builds on core's `Auth.authenticate`, `authorize` and `toResponse` (via `reject`).
 */
import type { JWTClaims, Principal, Requirement } from '@keygate/core'
import type { NextRequest } from 'next/server.js'
import { type KeygateOptions, resolveSettings, type Settings } from './options.js'
import { reject } from './reject.js'
import { rememberPrincipal } from './request-principal.js'
import { resolvePrincipal } from './resolve-principal.js'

/** Route segment params as Next.js passes them (a promise since Next.js 15). */
export type RouteParams = Record<string, string | string[] | undefined>

/** The second argument Next.js passes to a route handler. */
export interface RouteContext<P = RouteParams> {
  params: Promise<P>
}

/** What an authenticated handler receives besides the request. */
export interface AuthContext<A, P = RouteParams> {
  auth: A
  params: Promise<P>
}

/**
 * A route handler as Next.js calls it. The context is not optional: Next.js 15's build-time route
 * check rejects a handler whose second parameter admits `undefined` under `strict`.
 */
export type RouteHandler<R extends Request = NextRequest, P = RouteParams> = (
  request: R,
  context: RouteContext<P>,
) => Promise<Response>

/** Options of `withAuth` beyond the requirement. */
export interface WithAuthOptions {
  /** Let requests without a token through with `auth: null`; a bad token still fails. */
  optional?: boolean
}

/**
 * The `withAuth` function bound to one configuration; `withAuth<MyClaims>(…)` types `auth.claims`
 * (a type assertion: the token's claims are not validated against it).
 */
export interface WithAuth {
  <C extends JWTClaims = JWTClaims, R extends Request = NextRequest, P = RouteParams>(
    handler: (request: R, context: AuthContext<Principal<C>, P>) => Response | Promise<Response>,
    requirement?: Requirement,
  ): RouteHandler<R, P>
  <C extends JWTClaims = JWTClaims, R extends Request = NextRequest, P = RouteParams>(
    handler: (request: R, context: AuthContext<Principal<C> | null, P>) => Response | Promise<Response>,
    requirement: Requirement | undefined,
    options: WithAuthOptions & { optional: true },
  ): RouteHandler<R, P>
}

/**
 * Creates `withAuth(handler, requirement?, { optional }?)` for route handlers; `requirement` may
 * come from `authorize(requirement)`.
 *
 * @example
 * const withAuth = createRouteAuth({ authOptions })
 * export const GET = withAuth((request, { auth }) => Response.json({ subject: auth.subject }))
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function createRouteAuth(options: KeygateOptions): WithAuth {
  return withAuthFrom(resolveSettings(options))
}

/** Builds `withAuth` over already-resolved settings (shared with `createKeygate`). */
export function withAuthFrom(settings: Settings): WithAuth {
  return function withAuth<R extends Request, P>(
    handler: (request: R, context: AuthContext<Principal | null, P>) => Response | Promise<Response>,
    requirement?: Requirement,
    options: WithAuthOptions = {},
  ): RouteHandler<R, P> {
    return async function authenticatedRoute(request, context) {
      const resolution = await resolvePrincipal(request, settings, {
        requirement,
        optional: options.optional,
      })
      if (!resolution.ok) return reject(resolution.error, request, settings)
      // `getAuth(request)` in the handler, or in code it calls, then costs nothing.
      if (resolution.principal) rememberPrincipal(request, resolution.principal)
      // Next.js always passes the context; a direct call (a unit test) may not.
      const params = context?.params ?? Promise.resolve({} as P)
      return handler(request, { auth: resolution.principal, params })
    }
  } as WithAuth
}
