/**
 * The `onRequest`/`preHandler` hooks behind the plugin, also usable without it. Builds on
 * `auth.authenticate` and `auth.cachedPrincipal` (from `createAuth`), `defineRequirement`, and
 * `fromNodeRequest` and `authorizeRecorded` from `@keygate/core/http`; errors are rendered by
 * `sendError`.
 */
import {
  type Auth,
  ConfigurationError,
  type AuthenticateOptions as CoreAuthenticateOptions,
  defineRequirement,
  type JWTClaims,
  type RequestLike,
  type Requirement,
} from '@keygate/core'
import {
  type AdapterAuthenticateOptions,
  authenticateOptionsFor,
  authorizeRecorded,
  fromNodeRequest,
} from '@keygate/core/http'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { isAnonymous, setPrincipal } from './principal.js'
import { type RenderOptions, sendError } from './send-error.js'

/**
 * A hook for `onRequest` or `preHandler`: resolves to the reply when it answered. Called by
 * Fastify with `done`, a request it can decide at once (`authenticate` with a token-cache hit)
 * goes on through `done()` without a promise; called by hand, it always returns a promise.
 */
export interface AuthHook {
  (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>
  (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): Promise<FastifyReply | undefined> | undefined
}

/** Options of `authenticate` (and of the plugin). */
export interface AuthenticateOptions extends RenderOptions, AdapterAuthenticateOptions<FastifyRequest> {}

/**
 * A hook that verifies the request's bearer token and sets `request.auth`, or answers
 * 400/401/503 with a `WWW-Authenticate` challenge. Bugs (bad configuration) are thrown to
 * Fastify's error handler.
 *
 * @example
 * fastify.get('/orders', { onRequest: authenticate(auth) }, async (request) => request.auth?.subject)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function authenticate<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  options: AuthenticateOptions = {},
): AuthHook {
  // Checked once here, so a wiring mistake fails at start-up rather than on every request.
  if (typeof auth?.authenticate !== 'function')
    throw new ConfigurationError('authenticate() needs createAuth()')
  const render: RenderOptions = { realm: options.realm, onError: options.onError }
  const optionsFor = authenticateOptionsFor(options)

  async function verify(
    request: FastifyRequest,
    reply: FastifyReply,
    fromRequest: RequestLike,
    perRequest: CoreAuthenticateOptions,
  ) {
    // With `optional`, core answers a request without any token with `principal: null`.
    const result = await auth.authenticate(fromRequest, perRequest)
    if (result.ok) return void setPrincipal(request, result.principal)
    return sendError(result.error, request, reply, render)
  }

  // Not `async`: Fastify refuses async hooks that take `done`.
  return function authenticate(request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction) {
    // Node's raw header lines too, so a repeated Authorization is seen (Node keeps the first only).
    const fromRequest = fromNodeRequest({
      headers: request.headers,
      url: request.url,
      rawHeaders: request.raw.rawHeaders,
    })
    const perRequest = optionsFor(request)
    const principal = auth.cachedPrincipal(fromRequest, perRequest)
    if (principal !== undefined) {
      setPrincipal(request, principal)
      if (!done) return Promise.resolve(undefined)
      done()
      return undefined
    }
    return verify(request, reply, fromRequest, perRequest)
  } as AuthHook
}

/**
 * A hook that answers 403 `insufficient_scope` unless the principal meets `requirement`
 * (validated once, here). Runs after authentication; an anonymous request gets 401.
 *
 * @example
 * fastify.post('/orders', { onRequest: [fastify.authenticate, fastify.authorize({ scopes: ['orders:write'] })] }, create)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function authorize(requirement: Requirement, options: RenderOptions = {}): AuthHook {
  const required = defineRequirement(requirement)
  return async function authorize(request, reply) {
    const recorded = request.auth ?? (isAnonymous(request) ? null : undefined)
    const result = await authorizeRecorded(recorded, required)
    if (!result.ok) return sendError(result.error, request, reply, options)
  }
}
