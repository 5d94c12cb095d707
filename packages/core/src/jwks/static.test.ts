import { describe, expect, it } from 'vitest'
import { createTestIssuer } from '../testing/test-issuer.js'
import type { JWK } from '../types.js'
import { createStaticJWKS } from './static.js'

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  return 'found'
}

describe('createStaticJWKS', async () => {
  const issuer = await createTestIssuer({ algorithms: ['RS256', 'ES256', 'EdDSA'] })
  const [rsa, ec, ed] = issuer.keys.map((k) => k.publicJwk) as [JWK, JWK, JWK]

  it('selects by kid and algorithm', async () => {
    const source = createStaticJWKS(issuer.jwks())
    expect((await source.getKey({ kid: ec.kid, alg: 'ES256' })).kid).toBe(ec.kid)
    expect((await source.getKey({ kid: ed.kid, alg: 'EdDSA' })).kid).toBe(ed.kid)
    expect((await source.getKey({ kid: ed.kid, alg: 'Ed25519' })).kid).toBe(ed.kid)
    expect(await codeOf(source.getKey({ kid: 'unknown', alg: 'RS256' }))).toBe('ERR_KEY_NOT_FOUND')
    // The kid exists but belongs to a key of another type.
    expect(await codeOf(source.getKey({ kid: rsa.kid, alg: 'ES256' }))).toBe('ERR_KEY_NOT_FOUND')
    expect(await codeOf(source.getKey({ kid: ec.kid, alg: 'ES384' }))).toBe('ERR_KEY_NOT_FOUND')
  })

  it('keyNow answers what getKey answers, and undefined where getKey refuses', async () => {
    const source = createStaticJWKS(issuer.jwks())
    expect(source.keyNow!({ kid: ec.kid, alg: 'ES256' })).toBe(
      await source.getKey({ kid: ec.kid, alg: 'ES256' }),
    )
    expect(source.keyNow!({ alg: 'RS256' })?.kid).toBe(rsa.kid)
    expect(source.keyNow!({ kid: 'unknown', alg: 'RS256' })).toBeUndefined()
    expect(source.keyNow!({ kid: rsa.kid, alg: 'ES256' })).toBeUndefined()
  })

  it('without a kid, only an unambiguous key is chosen', async () => {
    const source = createStaticJWKS(issuer.jwks())
    expect((await source.getKey({ alg: 'RS256' })).kid).toBe(rsa.kid)
    const two = createStaticJWKS({ keys: [rsa, { ...rsa, kid: 'other' }] })
    expect(await codeOf(two.getKey({ alg: 'RS256' }))).toBe('ERR_KEY_NOT_FOUND')
  })

  it('a single JWK is a source', async () => {
    const source = createStaticJWKS(ec)
    expect((await source.getKey({ alg: 'ES256' })).x).toBe(ec.x)
    expect(source.peek()).toHaveLength(1)
  })

  it('honours alg, use and key_ops on the key', async () => {
    const { alg: _alg, ...noAlg } = rsa
    const source = createStaticJWKS({
      keys: [
        { ...noAlg, kid: 'enc', use: 'enc' },
        { ...noAlg, kid: 'ops', key_ops: ['encrypt'] },
        { ...noAlg, kid: 'ps', alg: 'PS256' },
        { ...noAlg, kid: 'any' },
      ],
    })
    expect(await codeOf(source.getKey({ kid: 'enc', alg: 'RS256' }))).toBe('ERR_KEY_NOT_FOUND')
    expect(await codeOf(source.getKey({ kid: 'ops', alg: 'RS256' }))).toBe('ERR_KEY_NOT_FOUND')
    expect(await codeOf(source.getKey({ kid: 'ps', alg: 'RS256' }))).toBe('ERR_KEY_NOT_FOUND')
    expect(await codeOf(source.getKey({ kid: 'ps', alg: 'PS256' }))).toBe('found')
    expect(await codeOf(source.getKey({ kid: 'any', alg: 'PS384' }))).toBe('found')
  })

  it('peek returns the same frozen key set every time; reload and close are harmless', async () => {
    const source = createStaticJWKS(issuer.jwks())
    const keys = source.peek()
    expect(source.peek()).toBe(keys)
    expect(Object.isFrozen(keys) && Object.isFrozen(keys![0])).toBe(true)
    await source.reload()
    source.close()
    source.close()
    expect((await source.getKey({ kid: rsa.kid, alg: 'RS256' })).kid).toBe(rsa.kid)
  })

  it('is not affected by later changes to the object it was given', async () => {
    const jwks = { keys: [{ ...ec }] }
    const source = createStaticJWKS(jwks)
    jwks.keys[0]!.kid = 'changed'
    expect(await codeOf(source.getKey({ kid: ec.kid, alg: 'ES256' }))).toBe('found')
  })

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'keys'],
    ['an object without keys or kty', { foo: 1 }],
    ['an empty key set', { keys: [] }],
    ['a key without kty', { keys: [{ kid: 'a' }] }],
    ['a non-string kid', { keys: [{ ...ec, kid: 5 }] }],
    ['bad key_ops', { keys: [{ ...ec, key_ops: 'verify' }] }],
    ['a private key', { keys: [{ ...ec, d: 'secret' }] }],
    ['RSA CRT parameters without d', { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', p: 'AQ', qi: 'AQ' }] }],
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0' }],
  ])('rejects %s at construction', (_name, value) => {
    expect(() => createStaticJWKS(value as never)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })
})
