/**
 * `authorize(requirement)` for Hono. Builds on `defineRequirement` from `@keygate/core`
 * (validation once), `authorizeRecorded` from `@keygate/core/http` (the decision) and
 * `renderError` (core's `httpError`).
 */
import { defineRequirement, type JWTClaims, type Requirement } from '@keygate/core'
import { authorizeRecorded } from '@keygate/core/http'
import type { Context, MiddlewareHandler } from 'hono'
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
    const refused = await authorizeOrRefuse(c, required, options)
    if (refused) return refused
    await next()
  }
}

/**
 * Checks the principal `authenticate` recorded against a requirement already validated by
 * `defineRequirement`; returns the error response when it falls short (internal).
 */
export async function authorizeOrRefuse(
  c: Context,
  required: Requirement,
  options: RenderOptions,
): Promise<Response | undefined> {
  const principal = (c as Context<AuthEnv>).get('auth') as AuthEnv['Variables']['auth'] | undefined
  const result = await authorizeRecorded(principal ?? (isAnonymous(c) ? null : undefined), required)
  return result.ok ? undefined : renderError(result.error, c, options)
}
