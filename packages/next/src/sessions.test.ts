// Next.js's route handlers are functions from a Web `Request` to a `Response`: these tests call
// them in-process with real `Request`s (the `next build` harness in test/ cannot share the kit's
// injected issuer clock with a `next start` process).
import { createAuth } from '@keygate/core'
import { createSessionKit, SESSION_APP_ROUTES } from '@keygate/core/testing'
import { describe, expect, it } from 'vitest'
import { sessionRoutes, sessionToken, startSession } from './sessions.js'
import { createRouteAuth } from './with-auth.js'

describe('browser sessions as Next.js route handlers', async () => {
  const kit = await createSessionKit()
  const auth = createAuth(kit.authOptions)
  const routes = sessionRoutes(kit.sessions)
  const withAuth = createRouteAuth({ auth, getToken: sessionToken(kit.sessions) })
  const me = withAuth((_request, { auth }) => Response.json({ subject: auth.subject }))

  // What app/login/route.ts, app/me/route.ts and app/auth/session/[action]/route.ts export.
  async function app(path: string, init: RequestInit): Promise<Response> {
    const request = new Request(new URL(path, 'http://127.0.0.1:3000'), init)
    if (path === SESSION_APP_ROUTES.login) {
      const { subject } = (await request.json()) as { subject: string }
      return startSession(kit.sessions, request, { subject, permissions: ['read'] })
    }
    if (path === SESSION_APP_ROUTES.me) return me(request, { params: Promise.resolve({}) })
    const handler = routes[request.method as keyof typeof routes]
    return handler(request)
  }

  for (const scenario of kit.scenarios) it(scenario.name, () => scenario.run(app))

  it('a request without a method (next/headers in server code) counts as a page render', () => {
    const headers = new Headers({ cookie: '__Host-keygate-access=abc' })
    expect(sessionToken(kit.sessions)({ headers })).toBe('abc')
    expect(() =>
      sessionToken(kit.sessions)({ headers, method: 'POST' } as unknown as { headers: Headers }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CROSS_SITE_REQUEST' }))
  })
})
