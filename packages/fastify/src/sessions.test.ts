import { Writable } from 'node:stream'
import { createAuth } from '@keygate/core'
import { createSessionKit, SESSION_APP_ROUTES } from '@keygate/core/testing'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate, getAuth, sessionRoutes, sessionToken, startSession } from './index.js'

describe('browser sessions on Fastify 5', async () => {
  const kit = await createSessionKit()
  const auth = createAuth(kit.authOptions)
  const logged: string[] = []
  let app: FastifyInstance
  let url: string

  beforeAll(async () => {
    // Fastify's own log at its most verbose, captured: no token or cookie may reach it.
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk))
        done()
      },
    })
    app = Fastify({ logger: { level: 'trace', stream } })
    await app.register(sessionRoutes(kit.sessions))
    app.post<{ Body: { subject: string } }>(SESSION_APP_ROUTES.login, async (request, reply) =>
      startSession(kit.sessions, request, reply, { subject: request.body.subject, permissions: ['read'] }),
    )
    app.route({
      method: ['GET', 'POST'],
      url: SESSION_APP_ROUTES.me,
      onRequest: authenticate(auth, { getToken: sessionToken(kit.sessions) }),
      handler: async (request) => ({ subject: getAuth(request).subject }),
    })
    app.post('/other', async (request) => ({ parsed: request.body }))
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app.close())

  for (const scenario of kit.scenarios) it(scenario.name, () => scenario.run(url))

  it("the plugin leaves the parent's body parsing alone", async () => {
    const res = await fetch(`${url}/other`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    expect(await res.json()).toEqual({ parsed: { a: 1 } })
  })

  it('nothing logged carries a token or cookie value', () => {
    expect(logged.length).toBeGreaterThan(0)
    kit.assertNoSecrets(logged.join('\n'), "Fastify's log")
  })
})
