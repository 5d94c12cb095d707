/**
 * Mounts a Keygate issuer (`issuer.respond`) in Fastify. Builds on `toIssuerRequest` from
 * `@keygate/core/http` — no fetch `Request`/`Response` per request; Fastify sends the answer —
 * and `httpError` for a body Fastify refuses before the issuer sees it.
 */
import { InvalidRequestError, type IssuerRequest, type IssuerResponse } from '@keygate/core'
import { httpError, toIssuerRequest } from '@keygate/core/http'
import type { FastifyError, FastifyPluginAsync, HTTPMethods } from 'fastify'

/** Anything serving issuer requests: `createIssuer()`'s result, a test double. */
export interface IssuerHandler {
  respond(request: IssuerRequest): Promise<IssuerResponse>
}

/** Options of `mountIssuer`. */
export interface MountIssuerOptions {
  /**
   * Largest request body Fastify reads for the issuer. Default 64 KiB; the issuer's own
   * `maxBodyBytes` applies within it. Beyond either, the answer is a 400 `invalid_request`.
   */
  maxBodyBytes?: number
}

// Issuer requests are small forms and JSON; 64 KiB leaves ample room and caps memory per request.
const DEFAULT_MAX_BODY_BYTES = 64 * 1024
// HEAD is added by Fastify for every GET route.
const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/**
 * An encapsulated plugin serving the issuer's routes (token endpoint, JWKS, metadata…) under
 * its prefix: one line. The issuer parses its own bodies, so every content type is read raw;
 * the client address for rate limiting is `request.ip` (which follows Fastify's `trustProxy`).
 *
 * @example
 * await fastify.register(mountIssuer(issuer))
 */
export function mountIssuer(issuer: IssuerHandler, options: MountIssuerOptions = {}): FastifyPluginAsync {
  const bodyLimit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  return async function mountIssuer(fastify) {
    fastify.removeAllContentTypeParsers()
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
      done(null, body),
    )
    // A body Fastify refuses while reading it (over the limit, a bad Content-Length) is the
    // client's mistake: answered as the issuer answers one, OAuth JSON 400 (RFC 6749 §5.2).
    // Anything else keeps Fastify's handling.
    fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
      // `code` may be anything an error carries (a driver's number, say), not only Fastify's strings.
      const code: unknown = error.code
      const statusCode = error.statusCode ?? 500
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        // A Content-Type Fastify cannot parse (`x`, empty) with a body: the issuer judges the
        // request itself, without the body. Its body readers refuse the media type (400), and
        // the reverse-proxy checks (`/validate_request`, `/auth/decide`) keep to 200/401/403,
        // which is all Nginx's auth_request accepts (issue 10, found by the server fuzz suite).
        const response = await issuer.respond(
          toIssuerRequest(request.raw, { url: request.url, body: '', clientAddress: request.ip }),
        )
        return reply
          .code(response.status)
          .headers(response.headers)
          .send(response.body ?? undefined)
      }
      if (
        typeof code !== 'string' ||
        !code.startsWith('FST_ERR_CTP_') ||
        statusCode < 400 ||
        statusCode >= 500
      ) {
        return reply.send(error)
      }
      const refused =
        statusCode === 413
          ? new InvalidRequestError('The request body is too large')
          : new InvalidRequestError('The request body could not be read')
      const { status, headers, body } = httpError(refused, { challenge: false })
      return reply.code(status).headers(headers).send(body)
    })
    fastify.route({
      method: METHODS,
      url: '/*',
      async handler(request, reply) {
        const body = request.body instanceof Uint8Array ? request.body : ''
        const response = await issuer.respond(
          toIssuerRequest(request.raw, { url: request.url, body, clientAddress: request.ip }),
        )
        return reply
          .code(response.status)
          .headers(response.headers)
          .send(response.body ?? undefined)
      },
    })
  }
}
