/**
 * Browser sessions in Express. Builds on `sessions.respond`, `sessions.login` and
 * `sessions.accessToken` from `@keygate/core/session` and `nodeHeaders` from `@keygate/core/http`:
 * Express converts the request once and writes the answer once; core decides.
 */
import { nodeHeaders } from '@keygate/core/http'
import type { SessionLoginInput, SessionRequest, SessionResponse, Sessions } from '@keygate/core/session'
import type { Request, RequestHandler, Response } from 'express'

function sessionRequest(req: Request): SessionRequest {
  return { method: req.method, url: req.originalUrl, headers: nodeHeaders(req.headers, req.rawHeaders) }
}

function send(res: Response, answer: SessionResponse): void {
  res.status(answer.status).set(answer.headers)
  // One header line per cookie: joined, a browser would read them as one cookie.
  if (answer.cookies.length > 0) res.setHeader('set-cookie', answer.cookies)
  res.end(answer.body ?? undefined)
}

/**
 * Middleware serving `POST {path}/refresh` and `POST {path}/logout` of `createSessions()`;
 * every other request goes on at once. Mount it at the application's root (the cookie's `Path`
 * is the full URL path); it reads no body, so it can sit before or after body parsers.
 *
 * @example
 * app.use(sessionRoutes(sessions))
 */
export function sessionRoutes(sessions: Sessions): RequestHandler {
  const { refresh, logout } = sessions.routes
  return function sessionRoutes(req, res, next) {
    const url = req.originalUrl
    const query = url.indexOf('?')
    const path = query < 0 ? url : url.slice(0, query)
    if (path !== refresh && path !== logout) return next()
    sessions.respond(sessionRequest(req)).then((answer) => send(res, answer), next)
  }
}

/**
 * Starts a session in the application's own login route, once it has authenticated the user:
 * answers 200 with the access token in the JSON body and sets the refresh cookie. Rejects with
 * `createToken`'s errors (bad input is a bug of the route).
 *
 * @example
 * app.post('/login', express.json(), async (req, res) => {
 *   const user = await checkPassword(req.body.email, req.body.password) // yours
 *   if (!user) return res.status(401).json({ error: 'bad credentials' })
 *   await startSession(sessions, req, res, { subject: user.id, permissions: user.permissions })
 * })
 */
export async function startSession(
  sessions: Sessions,
  req: Request,
  res: Response,
  input: SessionLoginInput,
): Promise<void> {
  send(res, await sessions.login(sessionRequest(req), input))
}

/**
 * A `getToken` for `authenticate` that reads the access cookie (`createSessions({ accessCookie:
 * true })`), for server-rendered apps. An unsafe method from a foreign origin, or sent as a
 * simple form, is answered 403 `ERR_CROSS_SITE_REQUEST`.
 *
 * @example
 * app.post('/orders', authenticate(auth, { getToken: sessionToken(sessions) }), createOrder)
 */
export function sessionToken(sessions: Sessions): (req: Request) => string | undefined {
  return (req) => sessions.accessToken(sessionRequest(req))
}
