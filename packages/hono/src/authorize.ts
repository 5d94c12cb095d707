/**
 * `authorize(requirement)` for Hono. Builds on `defineRequirement` and `authorize` from
 * `@keygate/core` (validation once, then the decision) and `renderError` (core's `httpError`).
 */
import {
  ConfigurationError,
  authorize as check,
  defineRequirement,
  type JWTClaims,
  type Requirement,
  TokenMissingError,
} from '@keygate/core'
import type { MiddlewareHandler } from 'hono'
import { type AuthEnv, isAnonymous } from './principal.js'
import { type RenderOptions, renderError } from './render-error.js'

/**
 * Hono middleware that answers 403 `insufficient_scope` unless `c.var.auth` meets
 * `requirement` (validated once, here). Runs after `authenticate`; an anonymous request gets 401.
 *
 * @example
 * app.post('/orders', authenticate(auth), authorize({ scopes: ['orders:write'] }), createOrder)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function authorize<C extends JWTClaims = JWTClaims>(
  requirement: Requirement,
  options: RenderOptions = {},
): MiddlewareHandler<AuthEnv<C>> {
  const required = defineRequirement(requirement)
  return async function authorize(c, next) {
    const principal = c.get('auth') as AuthEnv<C>['Variables']['auth'] | undefined
    if (!principal) {
      if (isAnonymous(c)) return renderError(new TokenMissingError(), c, options)
      throw new ConfigurationError('authorize() needs the authenticate() middleware to run first')
    }
    const result = await check(principal, required)
    if (!result.ok) return renderError(result.error, c, options)
    await next()
  }
}
