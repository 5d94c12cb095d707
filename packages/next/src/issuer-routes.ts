/**
 * Mounts a Keygate issuer (or anything fetch-style) as App Router route handlers.
 * Builds on core's endpoint seam: `issuer.handle(Request) → Promise<Response>`.
 */

/** Anything that answers a Web `Request`, such as core's `createIssuer()`. */
export interface FetchHandler {
  handle(request: Request): Promise<Response>
}

/** One route handler per HTTP method, as `route.ts` exports them. */
export interface IssuerRoutes {
  GET: (request: Request) => Promise<Response>
  HEAD: (request: Request) => Promise<Response>
  POST: (request: Request) => Promise<Response>
  PUT: (request: Request) => Promise<Response>
  PATCH: (request: Request) => Promise<Response>
  DELETE: (request: Request) => Promise<Response>
  OPTIONS: (request: Request) => Promise<Response>
}

/**
 * Route handlers that pass every request to `issuer.handle`, which answers 404/405 itself.
 *
 * @example
 * // app/oauth/[...path]/route.ts, with createIssuer({ basePath: '/oauth', … })
 * export const { GET, POST, DELETE } = issuerRoutes(issuer)
 */
export function issuerRoutes(issuer: FetchHandler): IssuerRoutes {
  const handle = (request: Request) => issuer.handle(request)
  return {
    GET: handle,
    HEAD: handle,
    POST: handle,
    PUT: handle,
    PATCH: handle,
    DELETE: handle,
    OPTIONS: handle,
  }
}
