import { createAuth } from '@keygate/core'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from './authenticate.js'
import { authorize } from './authorize.js'

let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] })
  await issuer.listen()
})
afterAll(() => issuer.close())

const request = (path: string, headers: Record<string, string> = {}) =>
  new NextRequest(new URL(path, 'http://127.0.0.1:3000'), { headers })
const passed = (response: Response) => response.headers.get('x-middleware-next') === '1'

describe('authenticate', () => {
  const authOptions = () => ({
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri: issuer.jwksUri,
    algorithms: ['ES256' as const],
  })

  it('makes the middleware from createAuth options or from a ready Auth', async () => {
    const token = await issuer.sign({ sub: 'alice' })
    for (const gate of [
      authenticate(authOptions(), { realm: 'app' }),
      authenticate(createAuth(authOptions()), { realm: 'app' }),
    ]) {
      const anonymous = await gate(request('/orders'))
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="app"')
      expect(passed(await gate(request('/orders', { authorization: `Bearer ${token}` })))).toBe(true)
    }
  })

  it('takes every middleware option: public and optional routes, an authorize() requirement', async () => {
    const gate = authenticate(authOptions(), {
      publicRoutes: ['/health'],
      optional: ['/catalog'],
      requirement: authorize({ scopes: ['write'] }),
    })
    expect(passed(await gate(request('/health')))).toBe(true)
    expect(passed(await gate(request('/catalog')))).toBe(true)
    const reader = await issuer.sign({ sub: 'bob', scope: 'read' })
    const refused = await gate(request('/orders', { authorization: `Bearer ${reader}` }))
    expect(refused.status).toBe(403)
    expect((await refused.json()).code).toBe('ERR_INSUFFICIENT_SCOPE')
  })

  it('refuses options with no auth at construction', () => {
    // A JavaScript caller may pass nothing; that is a configuration error, not a 401 later.
    const call = authenticate as (auth?: unknown) => unknown
    expect(() => call(undefined)).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
  })
})
