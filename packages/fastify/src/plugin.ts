/**
 * The Fastify plugin: decorates `request.auth`, `fastify.authenticate` and
 * `fastify.authorize(requirement)`, and turns a route's `config.auth` into hooks. Builds on
 * the hooks of `hooks.ts` (hence on `createAuth`'s `authenticate` and core's `authorize`).
 */
import type { Auth, JWTClaims, Principal, Requirement } from '@keygate/core'
import { ConfigurationError } from '@keygate/core'
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { type AuthenticateOptions, type AuthHook, authenticate, authorize } from './hooks.js'

/** Per-route authentication, as `config: { auth: … }`; `true` means "authenticate". */
export type RouteAuthConfig = true | { optional?: boolean; requirement?: Requirement }

/** Options of the plugin: the `createAuth` result plus the options of `authenticate`. */
export interface KeygateOptions<C extends JWTClaims = JWTClaims>
  extends Omit<AuthenticateOptions, 'optional'> {
  auth: Auth<C>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified principal; `null` until authentication ran (or for anonymous requests). */
    auth: Principal | null
  }
  interface FastifyInstance {
    /** Hook for `onRequest`/`preHandler`: 400/401/503 unless the bearer token verifies. */
    authenticate: AuthHook
    /** Hook factory: 403 unless the principal meets `requirement` (validated at the call). */
    authorize(requirement: Requirement): AuthHook
  }
  interface FastifyContextConfig {
    /** Authenticate (and optionally authorize) this route: `{ auth: { requirement: { scopes: ['x'] } } }`. */
    auth?: RouteAuthConfig
  }
}

const keygatePlugin: FastifyPluginAsync<KeygateOptions> = async function keygate(fastify, options) {
  const { auth, ...rest } = options
  if (!auth || typeof auth.authenticate !== 'function') {
    throw new ConfigurationError('@keygate/fastify needs { auth: createAuth(…) }')
  }
  const render = { realm: rest.realm, onError: rest.onError }
  const required = authenticate(auth, rest)
  const optional = authenticate(auth, { ...rest, optional: true })

  fastify.decorateRequest('auth', null)
  fastify.decorate('authenticate', required)
  fastify.decorate('authorize', (requirement: Requirement) => authorize(requirement, render))

  // Route-level config is read once, when the route is added, never per request; the hooks go
  // first in onRequest so nothing (body parsing included) runs for an unauthenticated caller.
  fastify.addHook('onRoute', (route) => {
    const config = route.config?.auth
    if (!config) return
    const settings = config === true ? {} : config
    const hooks: AuthHook[] = [settings.optional ? optional : required]
    if (settings.requirement) hooks.push(authorize(settings.requirement, render))
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat()
    route.onRequest = [...(hooks as onRequestHookHandler[]), ...existing]
  })
}

/**
 * Fastify plugin for Keygate: register once with the `createAuth` result, then protect routes
 * with `onRequest: fastify.authenticate`, `fastify.authorize(requirement)` or `config.auth`.
 *
 * @example
 * await fastify.register(keygate, { auth: createAuth({ issuer, audience }) })
 * fastify.get('/me', { config: { auth: true } }, async (request) => ({ sub: request.auth?.subject }))
 * @see https://www.rfc-editor.org/rfc/rfc6750
 */
export const keygate = fp(keygatePlugin, { fastify: '5.x', name: '@keygate/fastify' })
