import type { RequestLike } from '../types.js'

/** Node's `IncomingHttpHeaders` shape, without depending on `@types/node`. */
export type NodeHeaders = Record<string, string | string[] | undefined>

/**
 * Wraps Node's lower-cased header object (Express, Fastify, node:http) in the `headers.get()`
 * shape core reads. Repeated headers are joined with ", " as the Fetch standard does, so two
 * `Authorization` headers are seen — and rejected — as two credentials.
 *
 * @example auth.authenticate(fromNodeRequest(req))
 */
export function nodeHeaders(headers: NodeHeaders): RequestLike['headers'] {
  return {
    get(name: string): string | null {
      const value = headers[name.toLowerCase()]
      if (value === undefined) return null
      return Array.isArray(value) ? value.join(', ') : value
    },
  }
}

/** A `RequestLike` over a Node request (`{ headers, url }`), for `auth.authenticate`. */
export function fromNodeRequest(request: { headers: NodeHeaders; url?: string }): RequestLike {
  return { headers: nodeHeaders(request.headers), url: request.url }
}
