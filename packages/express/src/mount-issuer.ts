/**
 * Mounts a Keygate issuer (`issuer.respond`) in Express. Builds on `toIssuerRequest` and
 * `sendIssuerResponse` from `@keygate/core/http` — no fetch `Request`/`Response` per request —
 * and `httpError` for a body refused before the issuer answers.
 */

import type { IssuerRequest, IssuerResponse } from '@keygate/core'
import { AuthError } from '@keygate/core'
import { httpError, sendIssuerResponse, toIssuerRequest } from '@keygate/core/http'
import type { Request as ExpressRequest, RequestHandler } from 'express'

/** Anything serving issuer requests: `createIssuer()`'s result, a test double. */
export interface IssuerHandler {
  respond(request: IssuerRequest): Promise<IssuerResponse>
}

/** Options of `mountIssuer`. */
export interface MountIssuerOptions {
  /** Pass requests the issuer answers with 404 on to the next route. Default true, so it can sit at `/`. */
  fallthrough?: boolean
}

/**
 * Express middleware serving the issuer's routes (token endpoint, JWKS, metadata…): one line.
 * Mount it before any body parser, or after one — a parsed body is re-encoded. Bodies are
 * limited by the issuer's `maxBodyBytes`; the client address for rate limiting is `req.ip`
 * (which follows Express's `trust proxy` setting).
 *
 * @example
 * app.use(mountIssuer(issuer))
 */
export function mountIssuer(issuer: IssuerHandler, options: MountIssuerOptions = {}): RequestHandler {
  const { fallthrough = true } = options
  return function mountIssuer(req, res, next) {
    // A Keygate error (a body over the limit, refused while reading) is the client's: answered
    // as OAuth JSON. Anything else is a bug for Express's error handler.
    const fail = (error: unknown) => {
      if (!AuthError.is(error) || res.headersSent) return next(error)
      const { status, headers, body } = httpError(error, { challenge: false })
      res.status(status).set(headers).json(body)
    }
    const request = toIssuerRequest(req, {
      url: req.originalUrl,
      body: parsedBody(req),
      clientAddress: req.ip,
    })
    issuer
      .respond(request)
      .then((response) => {
        // Passing on is safe only while the body is untouched: the next route may read it.
        if (response.status === 404 && fallthrough && !req.readableDidRead) return next()
        sendIssuerResponse(res, response)
      })
      .catch(fail)
  }
}

// A body parser (express.json(), express.urlencoded()) that ran first consumed the stream;
// the issuer reads a body, so the parsed value is encoded back.
function parsedBody(req: ExpressRequest): string | Uint8Array | undefined {
  if (!req.readableEnded) return undefined
  const body: unknown = req.body
  if (body === undefined || body === null) return ''
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  if (typeof body !== 'object') return String(body)
  if (req.is('json')) return JSON.stringify(body)
  const form = new URLSearchParams()
  for (const [name, value] of Object.entries(body)) {
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') form.append(name, v)
  }
  return form.toString()
}
