/**
 * Answers a Keygate error the Fastify way. Builds on `httpError` from `@keygate/core/http`:
 * status, `WWW-Authenticate`, `Retry-After` and the JSON body all come from core.
 */
import type { AuthError } from '@keygate/core'
import { httpError } from '@keygate/core/http'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** An error hook: may render the error its own way; when it sends nothing, Keygate's answer goes out. */
export type ErrorHook = (
  error: AuthError,
  request: FastifyRequest,
  reply: FastifyReply,
) => void | Promise<void>

/** Options shared by authentication and authorization for rendering errors. */
export interface RenderOptions {
  /** `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). */
  realm?: string
  /** Renders errors your own way (as ApoJWT's `exception_handler`). */
  onError?: ErrorHook
}

/** Runs the hook, then answers with core's mapping; returns the reply, as async hooks must. */
export async function sendError(
  error: AuthError,
  request: FastifyRequest,
  reply: FastifyReply,
  options: RenderOptions,
): Promise<FastifyReply> {
  if (options.onError) {
    await options.onError(error, request, reply)
    if (reply.sent) return reply
  }
  const { status, headers, body } = httpError(error, { realm: options.realm })
  return reply.code(status).headers(headers).send(body)
}
