// POST /auth/session/refresh and /auth/session/logout (core's default session path): the refresh
// cookie is scoped to this path, so no other route of the app receives it.
import { sessionRoutes } from '@keygate/next'
import { users } from '@/lib/users'

export const dynamic = 'force-dynamic'

// Every method goes to core, which answers all but POST with 405.
const routes = (): ReturnType<typeof sessionRoutes> => sessionRoutes(users().sessions)

export const POST = (request: Request): Promise<Response> => routes().POST(request)
export const GET = (request: Request): Promise<Response> => routes().GET(request)
