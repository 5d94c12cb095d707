/**
 * Clock skew between Keygate's issuer and a verifier (issue 10, "Faults"): each has its own
 * injected clock. Access tokens carry `iat`, `nbf` and `exp` from the issuer's clock; the
 * verifier forgives `clockTolerance` both ways and no more. Keys come from the issuer's own
 * JWKS route through an injected fetch.
 */
import { describe, expect, it } from 'vitest'
import { AuthError } from '../../src/errors.js'
import { AUDIENCE, ISSUER, setup } from '../../src/issue/test-fixtures.js'
import { createAuth } from '../../src/verify/create-auth.js'

const SECOND = 1000
const TTL = 15 * 60 * SECOND // the issuer's default access-token lifetime
const TOLERANCE = 30 * SECOND

async function verifyAt(skewMs: number, options: { tolerance?: number } = {}): Promise<string> {
  const f = setup()
  const { accessToken } = await f.issuer.createToken({ subject: 'user-1', permissions: ['read'] })
  const verifierNow = f.clock.now + skewMs
  const auth = createAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: f.issuer.jwksUri,
    fetch: async (input, init) => f.issuer.handle(new Request(input, init)),
    clock: () => verifierNow,
    clockTolerance: options.tolerance ?? TOLERANCE,
  })
  try {
    await auth.verify(accessToken)
    return 'ok'
  } catch (error) {
    if (!AuthError.is(error)) throw error
    expect(error.status).toBe(401)
    return error.code
  } finally {
    auth.close()
  }
}

describe('clock skew between issuer and verifier', () => {
  it.each([
    ['in step', 0, 'ok'],
    // The verifier's clock behind the issuer's: iat/nbf look like the future.
    ['verifier behind by less than the tolerance', -(TOLERANCE - SECOND), 'ok'],
    ['verifier behind by exactly the tolerance', -TOLERANCE, 'ok'],
    ['verifier behind by more than the tolerance', -(TOLERANCE + 2 * SECOND), 'ERR_TOKEN_NOT_YET_VALID'],
    ['verifier behind by an hour', -3600 * SECOND, 'ERR_TOKEN_NOT_YET_VALID'],
    // The verifier's clock ahead: the token looks older; past exp + tolerance it has expired.
    ['verifier ahead, within the lifetime', TTL - SECOND, 'ok'],
    ['verifier ahead, past exp but within the tolerance', TTL + TOLERANCE - SECOND, 'ok'],
    ['verifier ahead, past exp by the tolerance', TTL + TOLERANCE, 'ERR_TOKEN_EXPIRED'],
    ['verifier ahead by a day', 24 * 3600 * SECOND, 'ERR_TOKEN_EXPIRED'],
  ])('%s → %s', async (_name, skew, expected) => {
    expect(await verifyAt(skew)).toBe(expected)
  })

  it('with no tolerance, a verifier one second behind already refuses, and one second past exp too', async () => {
    expect(await verifyAt(0, { tolerance: 0 })).toBe('ok')
    expect(await verifyAt(-SECOND, { tolerance: 0 })).toBe('ERR_TOKEN_NOT_YET_VALID')
    expect(await verifyAt(TTL, { tolerance: 0 })).toBe('ERR_TOKEN_EXPIRED')
    expect(await verifyAt(TTL - SECOND, { tolerance: 0 })).toBe('ok')
  })

  it('the default tolerance is 60 s both ways', async () => {
    const f = setup()
    const { accessToken } = await f.issuer.createToken({ subject: 'user-1' })
    const at = (skew: number) =>
      createAuth({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUri: f.issuer.jwksUri,
        fetch: async (input, init) => f.issuer.handle(new Request(input, init)),
        clock: () => f.clock.now + skew,
      })
        .verify(accessToken)
        .then(
          () => 'ok',
          (error: AuthError) => error.code,
        )
    expect(await at(-59 * SECOND)).toBe('ok')
    expect(await at(-61 * SECOND)).toBe('ERR_TOKEN_NOT_YET_VALID')
    expect(await at(TTL + 59 * SECOND)).toBe('ok')
    expect(await at(TTL + 60 * SECOND)).toBe('ERR_TOKEN_EXPIRED')
  })
})
