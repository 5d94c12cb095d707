import { MethodNotAllowedError, NotFoundError } from '../errors.js'
import { adminEndpoint, rotateSigningKeysEndpoint } from './admin-endpoints.js'
import type { IssuerContext } from './context.js'
import { decideEndpoint } from './decide-endpoint.js'
import type { IssuerRequest, IssuerResponse } from './exchange.js'
import { jwksEndpoint, metadataEndpoint } from './metadata-endpoints.js'
import { introspectEndpoint, revokeEndpoint, tokenEndpoint } from './oauth-endpoints.js'
import { errorResponse } from './responses.js'

type Route = (
  ctx: IssuerContext,
  request: IssuerRequest,
  param: string | undefined,
) => Promise<IssuerResponse> | IssuerResponse

const ADMIN_KEYS = '/admin/api-keys'

/** Routes by path, then method. `undefined` methods answer 405 with `Allow`. */
const ROUTES: Record<string, Record<string, Route>> = {
  '/token': { POST: tokenEndpoint },
  '/revoke': { POST: revokeEndpoint },
  '/introspect': { POST: introspectEndpoint },
  '/.well-known/jwks.json': { GET: jwksEndpoint, HEAD: jwksEndpoint },
  '/.well-known/oauth-authorization-server': { GET: metadataEndpoint, HEAD: metadataEndpoint },
  [ADMIN_KEYS]: {
    GET: (ctx, request) => adminEndpoint(ctx, request, 'list', undefined),
    POST: (ctx, request) => adminEndpoint(ctx, request, 'create', undefined),
  },
  [`${ADMIN_KEYS}/:id`]: {
    GET: (ctx, request, id) => adminEndpoint(ctx, request, 'get', id),
    DELETE: (ctx, request, id) => adminEndpoint(ctx, request, 'revoke', id),
  },
  '/admin/signing-keys/rotate': { POST: rotateSigningKeysEndpoint },
}

/** The path of an absolute URL, or of a path with a query, without parsing the whole URL. */
export function pathOf(url: string): string {
  const start = url.startsWith('/') ? 0 : url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  let end = url.length
  const query = url.indexOf('?', start)
  if (query >= 0) end = query
  const hash = url.indexOf('#', start)
  if (hash >= 0 && hash < end) end = hash
  return url.slice(start, end)
}

/**
 * The issuer's single entry point (`issuer.handle`): routes under `basePath`, answers 404 for
 * unknown paths and 405 (with `Allow`) for wrong methods, and turns anything unexpected into a
 * bare 500 — the route handlers already turn every client mistake into a 4xx.
 */
export function createHandler(ctx: IssuerContext): (request: IssuerRequest) => Promise<IssuerResponse> {
  return async function respond(request: IssuerRequest): Promise<IssuerResponse> {
    try {
      let path = pathOf(request.url)
      if (ctx.basePath !== '') {
        if (path !== ctx.basePath && !path.startsWith(`${ctx.basePath}/`))
          throw new NotFoundError('No such route')
        path = path.slice(ctx.basePath.length)
      }
      // The decision endpoint takes every method: the proxy forwards the original one.
      if (path === '/auth/decide') return await decideEndpoint(ctx, request)
      let param: string | undefined
      let methods = ROUTES[path]
      if (!methods && path.startsWith(`${ADMIN_KEYS}/`)) {
        param = path.slice(ADMIN_KEYS.length + 1)
        methods = ROUTES[`${ADMIN_KEYS}/:id`]
      }
      // Without an admin credential configured, the admin routes do not exist.
      if (!methods || (path.startsWith('/admin/') && ctx.adminTokenHash === undefined)) {
        throw new NotFoundError('No such route')
      }
      const route = methods[request.method]
      if (!route) throw new MethodNotAllowedError('Method not allowed on this route', Object.keys(methods))
      return await route(ctx, request, param)
    } catch (error) {
      return errorResponse(error)
    }
  }
}
