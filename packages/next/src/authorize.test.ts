import { createAuth } from '@keygate/core'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorize } from './authorize.js'
import { createRouteAuth } from './with-auth.js'

let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256'] })
  await issuer.listen()
})
afterAll(() => issuer.close())

describe('authorize', () => {
  it('validates a requirement once, at the call: a typo is a configuration error', () => {
    expect(() => authorize({ scope: ['write'] } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
    expect(Object.isFrozen(authorize({ scopes: ['write'] }))).toBe(true)
  })

  it('composes with withAuth: 403 insufficient_scope without the scope, the handler with it', async () => {
    const withAuth = createRouteAuth({
      auth: createAuth({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri }),
    })
    const route = withAuth(
      (_request: Request, { auth }) => Response.json({ subject: auth.subject }),
      authorize({ scopes: ['write'] }),
    )
    const call = async (scope: string) =>
      route(
        new Request('http://127.0.0.1/orders', {
          headers: { authorization: `Bearer ${await issuer.sign({ sub: 'bob', scope })}` },
        }),
      )
    const refused = await call('read')
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toContain('scope="write"')
    expect(await (await call('read write')).json()).toEqual({ subject: 'bob' })
  })
})
