/**
 * Browser sessions as App Router route handlers. Builds on `sessions.handle`, `sessions.login`,
 * `sessions.accessToken` and `toWebSessionResponse` from `@keygate/core/session`: route handlers
 * take a `Request` and return a `Response`, so each helper is one call over core.
 */
import type { RequestLike } from '@keygate/core'
import { type SessionLoginInput, type Sessions, toWebSessionResponse } from '@keygate/core/session'
import { type IssuerRoutes, issuerRoutes } from './issuer-routes.js'

/**
 * Route handlers for `POST {path}/refresh` and `POST {path}/logout` of `createSessions()`; every
 * method is exported so that core answers the others with 405.
 *
 * @example
 * // app/auth/session/[action]/route.ts (the default path, '/auth/session')
 * export const { POST, GET } = sessionRoutes(sessions)
 */
export function sessionRoutes(sessions: Sessions): IssuerRoutes {
  // The same every-method mapping as the issuer's routes: `sessions.handle` is a fetch handler too.
  return issuerRoutes(sessions)
}

/**
 * Starts a session in the application's own login route handler, once it has authenticated the
 * user: a 200 `Response` with the access token in the JSON body and the refresh cookie. Rejects
 * with `createToken`'s errors (bad input is a bug of the route).
 *
 * @example
 * // app/login/route.ts
 * export async function POST(request: Request) {
 *   const user = await checkPassword(await request.json()) // yours
 *   if (!user) return Response.json({ error: 'bad credentials' }, { status: 401 })
 *   return startSession(sessions, request, { subject: user.id, permissions: user.permissions })
 * }
 */
export async function startSession(
  sessions: Sessions,
  request: Request,
  input: SessionLoginInput,
): Promise<Response> {
  return toWebSessionResponse(await sessions.login(request, input))
}

/**
 * A `getToken` for `createKeygate` / `withAuth` that reads the access cookie
 * (`createSessions({ accessCookie: true })`), for server-rendered apps. A route handler's unsafe
 * method from a foreign origin, or sent as a simple form, is answered 403 `ERR_CROSS_SITE_REQUEST`.
 * Server components and server actions read the request through `next/headers`, which has no
 * method: they count as safe here — a page render is a GET, and Next.js refuses a server action
 * whose `Origin` is not the host (or `serverActions.allowedOrigins`) before it runs.
 *
 * @example
 * export const { withAuth, auth } = createKeygate({ authOptions, getToken: sessionToken(sessions) })
 */
export function sessionToken(sessions: Sessions): (request: RequestLike) => string | undefined {
  return (request) => {
    const method = (request as { method?: unknown }).method
    return sessions.accessToken({
      method: typeof method === 'string' ? method : 'GET',
      url: request.url,
      headers: request.headers,
    })
  }
}
