import type { Auth, JWTClaims, Principal } from '@keygate/core'
import Fastify, { type FastifyRequest } from 'fastify'
import { expectTypeOf, test } from 'vitest'
import { type AuthHook, authenticate, getAuth, keygate } from './index.js'

interface OrderClaims extends JWTClaims {
  tenant: string
}
declare const auth: Auth<OrderClaims>
declare const request: FastifyRequest

test('declaration merging: request.auth, fastify.authenticate, fastify.authorize, config.auth', async () => {
  const app = Fastify()
  await app.register(keygate, { auth })
  expectTypeOf(request.auth).toEqualTypeOf<Principal | null>()
  expectTypeOf(app.authenticate).toEqualTypeOf<AuthHook>()
  expectTypeOf(app.authorize({ scopes: ['write'] })).toEqualTypeOf<AuthHook>()
  app.get(
    '/a',
    { onRequest: app.authenticate, preHandler: app.authorize({ roles: ['admin'] }) },
    async () => 'ok',
  )
  app.get('/b', { config: { auth: { optional: true, requirement: { scopes: ['x'] } } } }, async () => 'ok')
  // @ts-expect-error `optional` is a boolean
  app.get('/c', { config: { auth: { optional: 'yes' } } }, async () => 'ok')
})

test('getAuth types the principal by the declared claims', () => {
  expectTypeOf(getAuth<OrderClaims>(request).claims.tenant).toEqualTypeOf<string>()
  expectTypeOf(getAuth(request, { optional: true })).toEqualTypeOf<Principal | undefined>()
  authenticate(auth, { getToken: (r) => r.headers['x-token'] as string | undefined })
})
