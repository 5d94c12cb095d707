import type { Principal } from '@keygate/core'
import type { NextRequest } from 'next/server'
import { describe, expectTypeOf, it } from 'vitest'
import { authenticate } from './authenticate.js'
import { authorize } from './authorize.js'
import { createKeygate } from './create-keygate.js'
import { getAuth } from './get-auth.js'
import type { KeygateMiddleware } from './middleware.js'

const keygate = createKeygate({ authOptions: { issuer: 'x', audience: 'y' } })

describe('the shared verbs', () => {
  it('authenticate() is the middleware, from options or a ready Auth', () => {
    expectTypeOf(
      authenticate({ issuer: 'x', audience: 'y' }, { publicRoutes: ['/'] }),
    ).toEqualTypeOf<KeygateMiddleware>()
    expectTypeOf(authenticate).parameter(1).not.toHaveProperty('auth')
  })

  it('authorize() goes wherever a requirement goes', () => {
    const writer = authorize({ scopes: ['write'] })
    keygate.withAuth((_request, { auth }) => Response.json(auth.subject), writer)
    expectTypeOf(keygate.requireAuth).toBeCallableWith(writer)
    createKeygate({ authOptions: {}, requirement: writer })
  })

  it('getAuth() gives a Principal, Principal | null when optional, typed claims on request', () => {
    expectTypeOf(getAuth(new Request('http://x'))).resolves.toEqualTypeOf<Principal>()
    expectTypeOf(getAuth({} as NextRequest, { optional: true })).resolves.toEqualTypeOf<Principal | null>()
    expectTypeOf(getAuth<{ tenant: string }>({} as Request)).resolves.toEqualTypeOf<
      Principal<{ tenant: string }>
    >()
    expectTypeOf(keygate.getAuth).toEqualTypeOf(getAuth)
  })
})
