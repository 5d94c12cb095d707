// Signs in the demo user (hard-coded credentials, shown on the page) and starts a browser session:
// the access token in the JSON body, the refresh token in an HttpOnly cookie for /auth/session.
import { startSession } from '@keygate/next'
import { json, readObject } from '@/lib/respond'
import { DEMO_USER, users } from '@/lib/users'

export const dynamic = 'force-dynamic'

export async function POST(request: Request): Promise<Response> {
  const body = await readObject(request)
  if (body?.username !== DEMO_USER.username || body?.password !== DEMO_USER.password) {
    return json({ error: 'invalid_credentials' }, 401)
  }
  return startSession(users().sessions, request, {
    subject: DEMO_USER.subject,
    permissions: DEMO_USER.permissions,
  })
}
