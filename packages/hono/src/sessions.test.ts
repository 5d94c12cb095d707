import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { createAuth } from '@keygate/core'
import { createSessionKit, SESSION_APP_ROUTES } from '@keygate/core/testing'
import { Hono } from 'hono'
import { logger } from 'hono/logger'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate, getAuth, sessionRoutes, sessionToken, startSession } from './index.js'

describe('browser sessions on Hono (@hono/node-server)', async () => {
  const kit = await createSessionKit()
  const auth = createAuth(kit.authOptions)
  const logged: string[] = []
  let server: ServerType
  let url: string

  beforeAll(async () => {
    const app = new Hono()
    // Hono's request logger, captured: no token or cookie may reach it.
    app.use(logger((line) => logged.push(line)))
    app.route('/', sessionRoutes(kit.sessions))
    app.post(SESSION_APP_ROUTES.login, async (c) => {
      const { subject } = await c.req.json<{ subject: string }>()
      return startSession(kit.sessions, c, { subject, permissions: ['read'] })
    })
    app.on(
      ['GET', 'POST'],
      SESSION_APP_ROUTES.me,
      authenticate(auth, { getToken: sessionToken(kit.sessions) }),
      (c) => c.json({ subject: getAuth(c).subject }),
    )
    app.get('/other', (c) => c.json({ other: true }))
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  for (const scenario of kit.scenarios) it(scenario.name, () => scenario.run(url))

  it('other routes are untouched', async () => {
    expect(await (await fetch(`${url}/other`)).json()).toEqual({ other: true })
  })

  it('nothing logged carries a token or cookie value', () => {
    expect(logged.length).toBeGreaterThan(0)
    kit.assertNoSecrets(logged.join('\n'), "Hono's logger")
  })
})
