import type { JWTClaims, Principal } from '@keygate/core'
import type { NextRequest } from 'next/server'
import { describe, expectTypeOf, it } from 'vitest'
import { createKeygate } from './create-keygate.js'

const { withAuth, middleware, proxy, auth, requireAuth } = createKeygate({
  authOptions: { issuer: 'x', audience: 'y' },
})

// What Next.js's generated route types expect of a `GET` export in app/orders/[id]/route.ts.
type NextRouteExport<P> = (request: NextRequest, context: { params: Promise<P> }) => Promise<Response>

describe('withAuth types', () => {
  it('hands a Principal to required handlers and Principal | null to optional ones', () => {
    withAuth((request, { auth }) => {
      expectTypeOf(request).toEqualTypeOf<NextRequest>()
      expectTypeOf(auth).toEqualTypeOf<Principal>()
      return Response.json(auth.subject)
    })
    withAuth(
      (_request, { auth }) => {
        expectTypeOf(auth).toEqualTypeOf<Principal | null>()
        return Response.json(auth?.subject ?? null)
      },
      undefined,
      { optional: true },
    )
  })

  it('returns something Next.js accepts as a route handler export, typed params included', () => {
    const GET = withAuth<JWTClaims, NextRequest, { id: string }>(async (_request, { params }) => {
      expectTypeOf(await params).toEqualTypeOf<{ id: string }>()
      return new Response()
    })
    expectTypeOf(GET).toExtend<NextRouteExport<{ id: string }>>()
    expectTypeOf(withAuth(() => new Response())).toExtend<NextRouteExport<Record<string, never>>>()
  })

  it('types the claims when asked to', () => {
    interface OrderClaims extends JWTClaims {
      tenant: string
    }
    withAuth<OrderClaims>((_request, { auth }) => {
      expectTypeOf(auth.claims.tenant).toEqualTypeOf<string>()
      return new Response()
    })
    expectTypeOf(auth<OrderClaims>).returns.resolves.toEqualTypeOf<Principal<OrderClaims> | null>()
    expectTypeOf(requireAuth<OrderClaims>).returns.resolves.toEqualTypeOf<Principal<OrderClaims>>()
  })

  it('types the middleware and the server functions', () => {
    expectTypeOf(middleware).toEqualTypeOf<(request: NextRequest) => Promise<Response>>()
    expectTypeOf(proxy).toEqualTypeOf(middleware)
    expectTypeOf(auth).returns.resolves.toEqualTypeOf<Principal | null>()
    expectTypeOf(requireAuth).returns.resolves.toEqualTypeOf<Principal>()
  })
})
