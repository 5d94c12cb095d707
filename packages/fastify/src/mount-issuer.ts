/**
 * Mounts a Keygate issuer (`issuer.handle(Request) → Response`) in Fastify. Builds on
 * `toWebRequest` from `@keygate/core/http`; the Web `Response` is sent by Fastify itself.
 */
import { toWebRequest } from '@keygate/core/http'
import type { FastifyPluginAsync, HTTPMethods } from 'fastify'

/** Anything serving fetch-style requests: `createIssuer()`'s result, a test double. */
export interface IssuerHandler {
  handle(request: Request): Promise<Response>
}

/** Options of `mountIssuer`. */
export interface MountIssuerOptions {
  /** Largest request body accepted (Fastify answers 413 beyond it). Default 64 KiB. */
  maxBodyBytes?: number
}

// Issuer requests are small forms and JSON; 64 KiB leaves ample room and caps memory per request.
const DEFAULT_MAX_BODY_BYTES = 64 * 1024
// HEAD is added by Fastify for every GET route.
const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/**
 * An encapsulated plugin serving the issuer's routes (token endpoint, JWKS, metadata…) under
 * its prefix: one line. The issuer parses its own bodies, so every content type is read raw.
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
    fastify.route({
      method: METHODS,
      url: '/*',
      async handler(request, reply) {
        const origin = `${request.protocol}://${request.host}`
        const body = request.body instanceof Uint8Array ? request.body : undefined
        const response = await issuer.handle(toWebRequest(request.raw, { origin, url: request.url, body }))
        // Unpacked by hand: Fastify's automatic HEAD route cannot take a `Response` payload.
        reply.code(response.status)
        for (const [name, value] of response.headers) reply.header(name, value)
        return reply.send(response.body ?? undefined)
      },
    })
  }
}
