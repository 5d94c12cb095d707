export { createMiddleware, type KeygateMiddleware } from './middleware.js'
export type { KeygateOptions } from './options.js'
export type { RouteMatcher } from './route-matcher.js'
export { PRINCIPAL_HEADER } from './signed-principal.js'
