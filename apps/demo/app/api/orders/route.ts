// The fourth orders API, on Next.js: proxy.ts verifies the token and checks the method's
// permission first; withAuth takes the principal it forwards (a header signed with this run's
// secret, bound to the token) or verifies the token itself, and checks the permission again.

import { keygate, READ, WRITE } from '@/lib/keygate'
import { ORDERS } from '../../../src/orders.mjs'

export const dynamic = 'force-dynamic'

export const GET = keygate.withAuth(
  (_request, { auth }) => Response.json({ framework: 'next', subject: auth.subject, orders: ORDERS }),
  READ,
)

export const POST = keygate.withAuth(
  (_request, { auth }) => Response.json({ framework: 'next', createdBy: auth.subject }, { status: 201 }),
  WRITE,
)
