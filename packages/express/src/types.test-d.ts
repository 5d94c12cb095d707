import type { Auth, JWTClaims, Principal } from '@keygate/core'
import express, { type Request, type RequestHandler } from 'express'
import { expectTypeOf, test } from 'vitest'
import { type AuthRequest, authenticate, authorize, getAuth } from './index.js'

interface OrderClaims extends JWTClaims {
  tenant: string
}
declare const auth: Auth<OrderClaims>
declare const req: Request

test('middleware are plain Express request handlers', () => {
  expectTypeOf(authenticate(auth)).toEqualTypeOf<RequestHandler>()
  expectTypeOf(authorize({ scopes: ['write'] })).toEqualTypeOf<RequestHandler>()
  const app = express()
  app.get('/typed', authenticate(auth), (r: AuthRequest<OrderClaims>, res) => {
    expectTypeOf(r.auth).toEqualTypeOf<Principal<OrderClaims> | undefined>()
    res.end()
  })
})

test('getAuth types the principal by the declared claims', () => {
  expectTypeOf(getAuth<OrderClaims>(req).claims.tenant).toEqualTypeOf<string>()
  expectTypeOf(getAuth(req)).toEqualTypeOf<Principal>()
  expectTypeOf(getAuth(req, { optional: true })).toEqualTypeOf<Principal | undefined>()
})

test('the token finder gets the Express request', () => {
  authenticate(auth, { getToken: (r) => r.get('x-token') })
  // @ts-expect-error a finder returns a string, not a number
  authenticate(auth, { getToken: () => 42 })
})
