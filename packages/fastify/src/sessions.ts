/**
 * Browser sessions in Fastify. Builds on `sessions.respond`, `sessions.login` and
 * `sessions.accessToken` from `@keygate/core/session` and `nodeHeaders` from `@keygate/core/http`:
 * Fastify converts the request once and sends the answer once; core decides.
 */
import { nodeHeaders } from '@keygate/core/http'
import type { SessionLoginInput, SessionRequest, SessionResponse, Sessions } from '@keygate/core/session'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'

// Every method reaches core, which answers anything but POST with 405 and `Allow: POST`.
const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

function sessionRequest(request: FastifyRequest): SessionRequest {
  return {
    method: request.method,
    url: request.url,
    headers: nodeHeaders(request.headers, request.raw.rawHeaders),
  }
}

function send(reply: FastifyReply, answer: SessionResponse): FastifyReply {
  reply.code(answer.status).headers(answer.headers)
  // One header line per cookie: joined, a browser would read them as one cookie.
  if (answer.cookies.length > 0) reply.header('set-cookie', answer.cookies)
  return reply.send(answer.body ?? undefined)
}

/**
 * An encapsulated plugin serving `POST {path}/refresh` and `POST {path}/logout` of
 * `createSessions()`. Register it without a prefix: the routes are the full paths the cookie's
 * `Path` names. The session routes read no body, so within the plugin every content type is
 * accepted and left unread — a form post reaches core's cross-site check (403), not a 415.
 *
 * @example
 * await fastify.register(sessionRoutes(sessions))
 */
export function sessionRoutes(sessions: Sessions): FastifyPluginAsync {
  return async function sessionRoutes(fastify) {
    fastify.removeAllContentTypeParsers()
    // Node discards an unread request body once the answer is sent.
    fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    for (const url of [sessions.routes.refresh, sessions.routes.logout]) {
      fastify.route({
        method: METHODS,
        url,
        async handler(request, reply) {
          return send(reply, await sessions.respond(sessionRequest(request)))
        },
      })
    }
  }
}

/**
 * Starts a session in the application's own login route, once it has authenticated the user:
 * answers 200 with the access token in the JSON body and sets the refresh cookie. Rejects with
 * `createToken`'s errors (bad input is a bug of the route).
 *
 * @example
 * fastify.post('/login', async (request, reply) => {
 *   const user = await checkPassword(request.body) // yours
 *   if (!user) return reply.code(401).send({ error: 'bad credentials' })
 *   return startSession(sessions, request, reply, { subject: user.id, permissions: user.permissions })
 * })
 */
export async function startSession(
  sessions: Sessions,
  request: FastifyRequest,
  reply: FastifyReply,
  input: SessionLoginInput,
): Promise<FastifyReply> {
  return send(reply, await sessions.login(sessionRequest(request), input))
}

/**
 * A `getToken` for `authenticate` (or the plugin) that reads the access cookie
 * (`createSessions({ accessCookie: true })`), for server-rendered apps. An unsafe method from a
 * foreign origin, or sent as a simple form, is answered 403 `ERR_CROSS_SITE_REQUEST`.
 *
 * @example
 * fastify.post('/orders', { onRequest: authenticate(auth, { getToken: sessionToken(sessions) }) }, createOrder)
 */
export function sessionToken(sessions: Sessions): (request: FastifyRequest) => string | undefined {
  return (request) => sessions.accessToken(sessionRequest(request))
}
