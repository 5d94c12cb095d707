import type { JWK } from '../types.js'

/**
 * JWK members that carry private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1): an
 * EC/OKP/RSA private exponent `d`, the RSA CRT parameters, or a symmetric `k`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-9.2
 */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * Whether a JWK holds private or secret material. Such a key is never used to verify: a
 * published private key means anyone can sign, so whatever it "verifies" proves nothing, and a
 * symmetric `k` in a key set would turn HMAC verification into a check against a public secret.
 *
 * @example isPrivateJWK({ kty: 'EC', crv: 'P-256', x: '…', y: '…', d: '…' }) // true
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.1
 */
export function isPrivateJWK(key: JWK | Record<string, unknown>): boolean {
  const record = key as Record<string, unknown>
  for (const member of PRIVATE_JWK_MEMBERS) if (record[member] !== undefined) return true
  return false
}
