/**
 * `authorize(requirement)`, the verb every Keygate framework package shares: in Next.js, a
 * requirement checked once, at import, that `withAuth`, `requireAuth` and the middleware's
 * `requirement` option take as they take a plain one. Builds on core's `defineRequirement`.
 */
import { defineRequirement, type Requirement } from '@keygate/core'

/**
 * Validates and freezes what a route needs (a typo is a `ConfigurationError` at start-up, not a
 * 403 per request); the route answers 403 `insufficient_scope` when the caller lacks it.
 *
 * @example
 * export const POST = withAuth(createOrder, authorize({ scopes: ['orders:write'] }))
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function authorize(requirement: Requirement): Readonly<Requirement> {
  return defineRequirement(requirement)
}
