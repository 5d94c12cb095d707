import { matchKey } from '../jwks/match-key.js'
import type { JWK } from '../types.js'
import { MIN_RSA_BITS, SIGNATURE_BYTES } from './algorithm-limits.js'
import { toAuthError } from './map-error.js'
import { hashBits, perKey, type SignatureBackend, type SignatureCheck } from './signature.js'

/** The parts of node:crypto the verifier uses, typed here so core needs no `@types/node`. */
export interface NodeKeyObject {
  readonly asymmetricKeyDetails?: { modulusLength?: number }
}

type NodeVerifyKey =
  | NodeKeyObject
  | { key: NodeKeyObject; padding?: number; saltLength?: number; dsaEncoding?: string }

export interface NodeCrypto {
  createPublicKey(input: { key: JWK; format: 'jwk' }): NodeKeyObject
  createSecretKey(key: Uint8Array): NodeKeyObject
  verify(algorithm: string | null, data: Uint8Array, key: NodeVerifyKey, signature: Uint8Array): boolean
  createHmac(algorithm: string, key: NodeKeyObject): { update(data: Uint8Array): { digest(): Uint8Array } }
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean
  readonly constants: { readonly RSA_PKCS1_PSS_PADDING: number }
}

interface NodeBufferInstance extends Uint8Array {
  write(value: string, offset: number, length: number, encoding: 'latin1' | 'base64url'): number
  // The native per-encoding methods behind `write` (undocumented, on Buffer.prototype since
  // Node 0.x): used when present.
  latin1Write?(value: string, offset: number, length: number): number
  base64urlWrite?(value: string, offset: number, length: number): number
}

export interface NodeBuffer {
  allocUnsafeSlow(size: number): NodeBufferInstance
}

// Room for the signing input and the signature of a typical token; grown on demand.
const INITIAL_SCRATCH_BYTES = 8192

/** Writes a string into one reused buffer and returns a view of the bytes written. */
type ScratchWriter = (value: string, maxBytes: number, encoding: 'latin1' | 'base64url') => Uint8Array

// One buffer per use, reused across verifications: every check is synchronous, so no other
// verification can touch it before the view is done with. The view itself is reused while
// lengths repeat (tokens of one issuer mostly have one length), so a check allocates nothing.
function createScratch(buffer: NodeBuffer): ScratchWriter {
  let scratch = buffer.allocUnsafeSlow(INITIAL_SCRATCH_BYTES)
  let view = new Uint8Array(scratch.buffer, scratch.byteOffset, 0)
  // Skipping the generic `write` wrapper saves its encoding dispatch, whose call site other
  // libraries in the process make polymorphic.
  const direct = typeof scratch.latin1Write === 'function' && typeof scratch.base64urlWrite === 'function'
  return (value, maxBytes, encoding) => {
    if (maxBytes > scratch.length) {
      scratch = buffer.allocUnsafeSlow(maxBytes * 2)
      view = new Uint8Array(scratch.buffer, scratch.byteOffset, 0)
    }
    const written = !direct
      ? scratch.write(value, 0, maxBytes, encoding)
      : encoding === 'latin1'
        ? scratch.latin1Write!(value, 0, maxBytes)
        : scratch.base64urlWrite!(value, 0, maxBytes)
    if (view.length !== written) view = new Uint8Array(scratch.buffer, scratch.byteOffset, written)
    return view
  }
}

/** A signature check over raw bytes. */
type RawCheck = (data: Uint8Array, signature: Uint8Array) => boolean

/**
 * Signature checks on node:crypto: synchronous one-shot `crypto.verify` with a `KeyObject`
 * imported once per JWK (and kept in a WeakMap, so it goes when the JWKS drops the key).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3
 */
export function createNodeBackend(crypto: NodeCrypto, buffer: NodeBuffer): SignatureBackend {
  const input = createScratch(buffer)
  const signature = createScratch(buffer)

  function build(jwk: JWK, alg: string): RawCheck {
    // A custom source may hand back any key: it must still fit the algorithm (RFC 8725 §3.1).
    if (!matchKey([jwk], { alg }).ok) throw new TypeError('key type does not fit the algorithm')
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' })
    const bits = hashBits(alg)
    if (alg.startsWith('RS') || alg.startsWith('PS')) {
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
        throw new TypeError('RSA key too small')
      }
      const hash = `sha${bits}`
      const verifyKey: NodeVerifyKey = alg.startsWith('PS')
        ? // RFC 7518 §3.5: the salt is as long as the hash output.
          { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }
        : key
      return (data, sig) => crypto.verify(hash, data, verifyKey, sig)
    }
    const size = SIGNATURE_BYTES[alg]!
    if (alg.startsWith('ES')) {
      const hash = `sha${bits}`
      const verifyKey = { key, dsaEncoding: 'ieee-p1363' }
      return (data, sig) => sig.length === size && crypto.verify(hash, data, verifyKey, sig)
    }
    return (data, sig) => sig.length === size && crypto.verify(null, data, key, sig)
  }

  // Decodes both parts into the scratch buffers, checks, and maps what crypto throws.
  function checking(raw: RawCheck): SignatureCheck {
    return (signingInput, signatureSegment) => {
      try {
        return raw(
          input(signingInput, signingInput.length, 'latin1'),
          signature(signatureSegment, (signatureSegment.length * 3) >>> 2, 'base64url'),
        )
      } catch (error) {
        throw toAuthError(error, 'verify')
      }
    }
  }

  return {
    name: 'node',
    forKey: perKey((jwk, alg) => {
      try {
        return checking(build(jwk, alg))
      } catch (error) {
        const failure = toAuthError(error, 'import')
        // Remembered, so a bad key in the JWKS costs one failed import, not one per token.
        return () => {
          throw failure
        }
      }
    }),
    forSecret(secret, alg) {
      const key = crypto.createSecretKey(secret)
      const hash = `sha${hashBits(alg)}`
      return checking((data, sig) => {
        const mac = crypto.createHmac(hash, key).update(data).digest()
        // Constant time, so the comparison leaks nothing about the expected MAC.
        return mac.length === sig.length && crypto.timingSafeEqual(mac, sig)
      })
    },
  }
}
