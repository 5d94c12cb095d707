/**
 * `authorize(requirement)` for Express. Builds on `defineRequirement` from `@keygate/core`
 * (validation once), `authorizeRecorded` from `@keygate/core/http` (the decision) and
 * `sendError` (core's `httpError` mapping): a 403 names what was missing.
 */
import { defineRequirement, type Requirement } from '@keygate/core'
import { authorizeRecorded } from '@keygate/core/http'
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
    authorizeRecorded(principalOf(req), required).then((result) => {
      if (result.ok) return next()
      return sendError(result.error, req, res, next, options)
    }, next)
  }
}
