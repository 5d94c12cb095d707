import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js'
import { createAuth } from './create-auth.js'
import type { Auth } from './types.js'

// `optional` is decided once, in core, for every adapter: only a request without any
// credential is anonymous; a bad or malformed credential is never treated as none.
describe('authenticate(request, { optional: true })', () => {
  let issuer: TestIssuer
  let auth: Auth
  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] })
    await issuer.listen()
    auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri })
  })
  afterAll(async () => {
    auth.close()
    await issuer.close()
  })

  const request = (authorization?: string) =>
    new Request('http://api.test/', { headers: authorization ? { authorization } : {} })

  it('answers a request without any token as anonymous, and without optional as 401', async () => {
    expect(await auth.authenticate(request(), { optional: true })).toEqual({ ok: true, principal: null })
    const strict = await auth.authenticate(request())
    expect(strict.ok ? undefined : strict.error.code).toBe('ERR_TOKEN_MISSING')
  })

  it('never treats a bad token, an empty bearer or two tokens as anonymous', async () => {
    const expired = await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 3600 })
    for (const [authorization, code] of [
      [`Bearer ${expired}`, 'ERR_TOKEN_EXPIRED'],
      ['Bearer ', 'ERR_INVALID_REQUEST'],
      ['Bearer a.b.c, Bearer d.e.f', 'ERR_INVALID_REQUEST'],
    ] as const) {
      const result = await auth.authenticate(request(authorization), { optional: true })
      expect(result.ok ? 'ok' : result.error.code).toBe(code)
    }
  })

  it('still verifies a token that is sent', async () => {
    const result = await auth.authenticate(request(`Bearer ${await issuer.sign({ sub: 'ana' })}`), {
      optional: true,
    })
    expect(result.ok && result.principal?.subject).toBe('ana')
  })

  it('uses a custom token finder the same way', async () => {
    const result = await auth.authenticate(request(), { optional: true, getToken: () => null })
    expect(result).toEqual({ ok: true, principal: null })
  })
})
