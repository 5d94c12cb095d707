import type { JWK } from '../types.js'
import type { KeySelector } from './types.js'

/** The outcome of picking a key: found, none fits, or several fit a `kid`-less token. */
export type KeyMatch = { ok: true; key: JWK } | { ok: false; reason: 'none' | 'ambiguous' }

interface KeyType {
  kty: string
  crv?: string
}

const RSA: KeyType = { kty: 'RSA' }

/** `kty`/`crv` a key must have per JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1): a lookup on the hot path. */
const KEY_TYPES: ReadonlyMap<string, KeyType> = new Map<string, KeyType>([
  ['RS256', RSA],
  ['RS384', RSA],
  ['RS512', RSA],
  ['PS256', RSA],
  ['PS384', RSA],
  ['PS512', RSA],
  ['ES256', { kty: 'EC', crv: 'P-256' }],
  ['ES384', { kty: 'EC', crv: 'P-384' }],
  ['ES512', { kty: 'EC', crv: 'P-521' }],
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ['Ed25519', { kty: 'OKP', crv: 'Ed25519' }],
])

function fitsAlgorithm(key: JWK, alg: string): boolean {
  const wanted = KEY_TYPES.get(alg)
  if (!wanted || key.kty !== wanted.kty) return false
  return wanted.crv === undefined || key.crv === wanted.crv
}

/**
 * `EdDSA` (RFC 8037) and the fully-specified `Ed25519` (RFC 9864) name the same signature for an
 * Ed25519 key, so a JWK labelled with one serves a token labelled with the other.
 */
function sameAlgorithm(keyAlg: string, alg: string): boolean {
  if (keyAlg === alg) return true
  return (keyAlg === 'EdDSA' || keyAlg === 'Ed25519') && (alg === 'EdDSA' || alg === 'Ed25519')
}

/** A key published for something other than verifying signatures is never used for it. */
function usableForVerify(key: JWK): boolean {
  if (key.use !== undefined && key.use !== 'sig') return false
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify')))
    return false
  return true
}

/**
 * Picks the verification key for a token header. With a `kid` the first usable key with that
 * `kid` and a fitting algorithm wins; without one, exactly one usable key must fit — trying
 * several would let a token choose among keys (RFC 8725 §3.1 spirit).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1.4
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 */
export function matchKey(keys: readonly JWK[], selector: KeySelector): KeyMatch {
  let match: JWK | undefined
  for (const key of keys) {
    if (selector.kid !== undefined && key.kid !== selector.kid) continue
    if (!usableForVerify(key)) continue
    if (key.alg !== undefined && !sameAlgorithm(key.alg, selector.alg)) continue
    if (!fitsAlgorithm(key, selector.alg)) continue
    if (selector.kid !== undefined) return { ok: true, key }
    if (match) return { ok: false, reason: 'ambiguous' }
    match = key
  }
  return match ? { ok: true, key: match } : { ok: false, reason: 'none' }
}
