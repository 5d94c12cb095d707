/**
 * Browser sessions in Hono. Builds on `sessions.handle`, `sessions.login`,
 * `sessions.accessToken` and `toWebSessionResponse` from `@keygate/core/session`: Hono speaks
 * `Request`/`Response`, so each helper is one call over core.
 */
import { type SessionLoginInput, type Sessions, toWebSessionResponse } from '@keygate/core/session'
import { type Context, Hono } from 'hono'

/**
 * A Hono app serving `POST {path}/refresh` and `POST {path}/logout` of `createSessions()` at
 * their full paths (other methods get 405 from core): `app.route('/', sessionRoutes(sessions))`.
 *
 * @example
 * app.route('/', sessionRoutes(sessions))
 */
export function sessionRoutes(sessions: Sessions): Hono {
  const routes = new Hono()
  const handle = (c: Context) => sessions.handle(c.req.raw)
  routes.all(sessions.routes.refresh, handle)
  routes.all(sessions.routes.logout, handle)
  return routes
}

/**
 * Starts a session in the application's own login route, once it has authenticated the user:
 * a 200 `Response` with the access token in the JSON body and the refresh cookie. Rejects with
 * `createToken`'s errors (bad input is a bug of the route).
 *
 * @example
 * app.post('/login', async (c) => {
 *   const user = await checkPassword(await c.req.json()) // yours
 *   if (!user) return c.json({ error: 'bad credentials' }, 401)
 *   return startSession(sessions, c, { subject: user.id, permissions: user.permissions })
 * })
 */
export async function startSession(
  sessions: Sessions,
  c: Context,
  input: SessionLoginInput,
): Promise<Response> {
  return toWebSessionResponse(await sessions.login(c.req.raw, input))
}

/**
 * A `getToken` for `authenticate` that reads the access cookie (`createSessions({ accessCookie:
 * true })`), for server-rendered apps. An unsafe method from a foreign origin, or sent as a
 * simple form, is answered 403 `ERR_CROSS_SITE_REQUEST`.
 *
 * @example
 * app.post('/orders', authenticate(auth, { getToken: sessionToken(sessions) }), createOrder)
 */
export function sessionToken(sessions: Sessions): (c: Context) => string | undefined {
  return (c) => sessions.accessToken(c.req.raw)
}
