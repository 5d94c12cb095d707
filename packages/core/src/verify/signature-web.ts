import { matchKey } from '../jwks/match-key.js'
import type { JWK } from '../types.js'
import { MIN_RSA_BITS, SIGNATURE_BYTES } from './algorithm-limits.js'
import { createBase64urlDecoder } from './base64url.js'
import { toAuthError } from './map-error.js'
import { hashBits, perKey, type SignatureBackend, type SignatureCheck } from './signature.js'

const CURVES: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

interface WebAlgorithm {
  importParams: RsaHashedImportParams | EcKeyImportParams | Algorithm
  verifyParams: Algorithm | RsaPssParams | EcdsaParams
}

function webAlgorithm(alg: string): WebAlgorithm {
  const hash = `SHA-${hashBits(alg)}`
  if (alg.startsWith('RS')) {
    return { importParams: { name: 'RSASSA-PKCS1-v1_5', hash }, verifyParams: { name: 'RSASSA-PKCS1-v1_5' } }
  }
  if (alg.startsWith('PS')) {
    // RFC 7518 §3.5: the salt is as long as the hash output.
    const saltLength = hashBits(alg) / 8
    return { importParams: { name: 'RSA-PSS', hash }, verifyParams: { name: 'RSA-PSS', saltLength } }
  }
  if (alg.startsWith('ES')) {
    return {
      importParams: { name: 'ECDSA', namedCurve: CURVES[alg]! },
      verifyParams: { name: 'ECDSA', hash },
    }
  }
  if (alg.startsWith('HS')) return { importParams: { name: 'HMAC', hash }, verifyParams: { name: 'HMAC' } }
  return { importParams: { name: 'Ed25519' }, verifyParams: { name: 'Ed25519' } }
}

// Only the key material: WebCrypto rejects a JWK whose `alg`/`use`/`key_ops` spelling it does
// not expect (e.g. `EdDSA`), and compatibility was already checked by `matchKey`.
function publicMaterial(jwk: JWK): JsonWebKey {
  const { kty, crv, n, e, x, y } = jwk
  return { kty, crv, n, e, x, y }
}

const ENCODER = new TextEncoder()

/**
 * Signature checks on WebCrypto (`crypto.subtle`), for runtimes without node:crypto: each JWK
 * imported once per algorithm (a WeakMap keeps the `CryptoKey` while the JWK lives).
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#SubtleCrypto-method-verify
 */
export function createWebBackend(subtle: SubtleCrypto): SignatureBackend {
  const base64url = createBase64urlDecoder()

  function checkWith(imported: Promise<CryptoKey>, alg: string): SignatureCheck {
    const { verifyParams } = webAlgorithm(alg)
    const size = SIGNATURE_BYTES[alg]
    // Handled here so an unused failed import never surfaces as an unhandled rejection.
    const ready = imported.then(
      (key) => ({ key, error: undefined }),
      (error: unknown) => ({ key: undefined, error: toAuthError(error, 'import') }),
    )
    return async (input, segment) => {
      // Decoded before the first await: the bytes are this call's own.
      const signature = base64url.bytes(segment)
      const { key, error } = await ready
      if (key === undefined) throw error
      if (size !== undefined && signature.length !== size) return false
      try {
        return await subtle.verify(
          verifyParams,
          key,
          signature as Uint8Array<ArrayBuffer>,
          ENCODER.encode(input),
        )
      } catch (cause) {
        throw toAuthError(cause, 'verify')
      }
    }
  }

  async function importPublic(jwk: JWK, alg: string): Promise<CryptoKey> {
    // A custom source may hand back any key: it must still fit the algorithm (RFC 8725 §3.1).
    if (!matchKey([jwk], { alg }).ok) throw new TypeError('key type does not fit the algorithm')
    const key = await subtle.importKey('jwk', publicMaterial(jwk), webAlgorithm(alg).importParams, false, [
      'verify',
    ])
    const modulus = (key.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength
    if (modulus !== undefined && modulus < MIN_RSA_BITS) throw new TypeError('RSA key too small')
    return key
  }

  return {
    name: 'webcrypto',
    forKey: perKey((jwk, alg) => checkWith(importPublic(jwk, alg), alg)),
    forSecret(secret, alg) {
      const imported = subtle.importKey(
        'raw',
        secret as Uint8Array<ArrayBuffer>,
        webAlgorithm(alg).importParams,
        false,
        ['verify'],
      )
      return checkWith(imported, alg)
    },
  }
}
