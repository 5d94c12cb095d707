export * from '@keygate/core/errors'
export { type AuthenticateOptions, authenticate } from './authenticate.js'
export { authorize } from './authorize.js'
export { createKeygate, type Keygate } from './create-keygate.js'
export { type GetAuth, type GetAuthOptions, getAuth } from './get-auth.js'
export { type FetchHandler, type IssuerRoutes, issuerRoutes } from './issuer-routes.js'
export { createMiddleware, type KeygateMiddleware } from './middleware.js'
export type { KeygateOptions } from './options.js'
export type { RouteMatcher } from './route-matcher.js'
export { createServerAuth, type ServerAuth } from './server-auth.js'
export { startSessionAction } from './session-action.js'
export { sessionRoutes, sessionToken, startSession } from './sessions.js'
export {
  DEFAULT_PRINCIPAL_TTL_MS,
  PRINCIPAL_HEADER,
  type SignPrincipalOptions,
  signPrincipal,
  type VerifyPrincipalOptions,
  verifyPrincipal,
} from './signed-principal.js'
export {
  type AuthContext,
  createRouteAuth,
  type RouteContext,
  type RouteHandler,
  type RouteParams,
  type WithAuth,
  type WithAuthOptions,
} from './with-auth.js'
