import type { Auth, JWTClaims, Principal } from '@keygate/core'
import { Hono, type MiddlewareHandler } from 'hono'
import { expectTypeOf, test } from 'vitest'
import { type AuthEnv, authenticate, authorize, type OptionalAuthEnv, withAuth } from './index.js'

interface OrderClaims extends JWTClaims {
  tenant: string
}
declare const auth: Auth<OrderClaims>

test('the env generic types c.var.auth', () => {
  expectTypeOf(authenticate(auth)).toEqualTypeOf<MiddlewareHandler<AuthEnv<OrderClaims>>>()
  expectTypeOf(authenticate(auth, { optional: true })).toEqualTypeOf<
    MiddlewareHandler<OptionalAuthEnv<OrderClaims>>
  >()
  const app = new Hono()
  app.get('/a', authenticate(auth), (c) => {
    expectTypeOf(c.var.auth).toEqualTypeOf<Principal<OrderClaims>>()
    expectTypeOf(c.var.auth.claims.tenant).toEqualTypeOf<string>()
    return c.text('ok')
  })
  app.get('/b', authenticate(auth, { optional: true }), (c) => {
    expectTypeOf(c.var.auth).toEqualTypeOf<Principal<OrderClaims> | undefined>()
    return c.text('ok')
  })
  app.get('/c', authenticate(auth), authorize({ scopes: ['write'] }), (c) => c.text(c.var.auth.issuer))
  // Typed apps work too.
  new Hono<AuthEnv<OrderClaims>>().use(authenticate(auth)).get('/d', (c) => c.text(c.var.auth.claims.tenant))
})

test('withAuth types the handler through the same env', () => {
  const app = new Hono()
  app.get(
    '/e',
    withAuth(auth, (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<Principal<OrderClaims>>()
      return c.text(c.var.auth.claims.tenant)
    }),
  )
  app.get(
    '/f',
    withAuth(
      auth,
      (c) => {
        expectTypeOf(c.var.auth).toEqualTypeOf<Principal<OrderClaims> | undefined>()
        return c.text('ok')
      },
      { optional: true, requirement: { scopes: ['read'] } },
    ),
  )
})
