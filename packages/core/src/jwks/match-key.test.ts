import { describe, expect, it } from 'vitest'
import type { JWK } from '../types.js'
import { matchKey } from './match-key.js'

const rsa: JWK = { kty: 'RSA', kid: 'rsa', n: 'AQAB', e: 'AQAB' }
const p256: JWK = { kty: 'EC', crv: 'P-256', kid: 'p256', x: 'x', y: 'y' }
const p384: JWK = { kty: 'EC', crv: 'P-384', kid: 'p384', x: 'x', y: 'y' }
const p521: JWK = { kty: 'EC', crv: 'P-521', kid: 'p521', x: 'x', y: 'y' }
const ed: JWK = { kty: 'OKP', crv: 'Ed25519', kid: 'ed', x: 'x' }

describe('matchKey', () => {
  const fits: Array<[string, JWK]> = [
    ['RS256', rsa],
    ['RS512', rsa],
    ['PS384', rsa],
    ['ES256', p256],
    ['ES384', p384],
    ['ES512', p521],
    ['EdDSA', ed],
    ['Ed25519', ed],
  ]
  const all = [rsa, p256, p384, p521, ed]
  for (const [alg, key] of fits) {
    it(`${alg} selects the ${key.kid} key by kid, and only it`, () => {
      expect(matchKey(all, { kid: key.kid!, alg })).toEqual({ ok: true, key })
      for (const other of all.filter((k) => k !== key && !(k.kty === key.kty && k.crv === key.crv))) {
        expect(matchKey(all, { kid: other.kid!, alg })).toEqual({ ok: false, reason: 'none' })
      }
    })
  }

  it('jwk.alg must equal the token alg when present (EdDSA and Ed25519 are one)', () => {
    const labelled = { ...rsa, alg: 'RS256' }
    expect(matchKey([labelled], { kid: 'rsa', alg: 'RS256' }).ok).toBe(true)
    expect(matchKey([labelled], { kid: 'rsa', alg: 'PS256' }).ok).toBe(false)
    expect(matchKey([{ ...ed, alg: 'EdDSA' }], { kid: 'ed', alg: 'Ed25519' }).ok).toBe(true)
    expect(matchKey([{ ...ed, alg: 'Ed25519' }], { kid: 'ed', alg: 'EdDSA' }).ok).toBe(true)
  })

  it('keys not meant for verifying signatures are ignored', () => {
    expect(matchKey([{ ...p256, use: 'enc' }], { kid: 'p256', alg: 'ES256' }).ok).toBe(false)
    expect(matchKey([{ ...p256, key_ops: ['encrypt'] }], { kid: 'p256', alg: 'ES256' }).ok).toBe(false)
    expect(matchKey([{ ...p256, use: 'sig', key_ops: ['verify'] }], { kid: 'p256', alg: 'ES256' }).ok).toBe(
      true,
    )
  })

  it('unknown and symmetric algorithms never match', () => {
    expect(matchKey([{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }], { kid: 'h', alg: 'HS256' }).ok).toBe(false)
    expect(matchKey(all, { kid: 'rsa', alg: 'none' }).ok).toBe(false)
  })

  it('without kid: the one fitting key, or ambiguous when several fit', () => {
    expect(matchKey(all, { alg: 'ES256' })).toEqual({ ok: true, key: p256 })
    expect(matchKey([p256, { ...p256, kid: 'other' }], { alg: 'ES256' })).toEqual({
      ok: false,
      reason: 'ambiguous',
    })
    expect(matchKey([p256, { ...p256, use: 'enc' }], { alg: 'ES256' }).ok).toBe(true)
  })

  it('a kid in the token does not match a key without kid', () => {
    const { kid: _, ...anonymous } = p256
    expect(matchKey([anonymous as JWK], { kid: 'p256', alg: 'ES256' }).ok).toBe(false)
  })
})
