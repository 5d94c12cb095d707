import type { AddressInfo } from 'node:net'
import { createAuth } from '@keygate/core'
import { createSessionKit, SESSION_APP_ROUTES } from '@keygate/core/testing'
import express5, { type Express } from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { authenticate, getAuth, sessionRoutes, sessionToken, startSession } from './index.js'

describe.each([
  ['Express 5', () => express5()],
  ['Express 4', () => express4() as unknown as Express],
] as const)('browser sessions on %s', async (_name, createApp) => {
  const kit = await createSessionKit()
  const auth = createAuth(kit.authOptions)
  const logged: string[] = []
  let url: string
  let close: () => Promise<void>

  beforeAll(async () => {
    // Whatever Express or a handler would print goes through console: captured and checked.
    for (const method of ['log', 'info', 'warn', 'error'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '))
      })
    }
    const app = createApp()
    app.use(sessionRoutes(kit.sessions))
    app.post(SESSION_APP_ROUTES.login, express5.json(), async (req, res, next) => {
      try {
        await startSession(kit.sessions, req, res, { subject: req.body.subject, permissions: ['read'] })
      } catch (error) {
        next(error)
      }
    })
    const me = authenticate(auth, { getToken: sessionToken(kit.sessions) })
    app.all(SESSION_APP_ROUTES.me, me, (req, res) => {
      res.json({ subject: getAuth(req).subject })
    })
    app.get('/other', (_req, res) => res.json({ other: true }))
    const server = await new Promise<ReturnType<Express['listen']>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => new Promise((resolve) => server.close(() => resolve()))
  })
  afterAll(async () => {
    await close()
    vi.restoreAllMocks()
  })

  for (const scenario of kit.scenarios) it(scenario.name, () => scenario.run(url))

  it('other routes go on untouched', async () => {
    const res = await fetch(`${url}/other`)
    expect(await res.json()).toEqual({ other: true })
  })

  it('nothing logged carries a token or cookie value', () => {
    kit.assertNoSecrets(logged.join('\n'), 'the captured log')
  })
})
