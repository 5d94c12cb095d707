/**
 * `authorize(requirement)` for Express. Builds on `defineRequirement` and `authorize` from
 * `@keygate/core` (validation once, then the decision) and `sendError` (core's `httpError`
 * mapping): a 403 names what was missing.
 */
import {
  ConfigurationError,
  authorize as check,
  defineRequirement,
  type Requirement,
  TokenMissingError,
} from '@keygate/core'
import type { RequestHandler } from 'express'
import { principalOf } from './principal.js'
import { type RenderOptions, sendError } from './send-error.js'

/**
 * Express middleware that lets the request through when the principal meets `requirement`,
 * and answers 403 `insufficient_scope` otherwise. Runs after `authenticate`; an anonymous
 * request (optional authentication) gets 401.
 *
 * @example
 * app.post('/orders', authenticate(auth), authorize({ scopes: ['orders:write'] }), createOrder)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function authorize(requirement: Requirement, options: RenderOptions = {}): RequestHandler {
  // Validated and frozen once here: a typo fails at start-up, not as a 403 per request.
  const required = defineRequirement(requirement)
  return function authorize(req, res, next) {
    const principal = principalOf(req)
    if (principal === undefined) {
      return next(new ConfigurationError('authorize() needs the authenticate() middleware to run first'))
    }
    if (principal === null) return void sendError(new TokenMissingError(), req, res, next, options)
    check(principal, required).then((result) => {
      if (result.ok) return next()
      return sendError(result.error, req, res, next, options)
    }, next)
  }
}
