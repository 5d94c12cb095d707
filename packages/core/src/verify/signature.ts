import { ConfigurationError } from '../errors.js'
import { getBuiltin } from '../runtime.js'
import type { JWK } from '../types.js'
import { createNodeBackend, type NodeCrypto } from './signature-node.js'
import { createWebBackend } from './signature-web.js'

/**
 * Checks one signature over the signing input (the ASCII `header.payload`); the signature is
 * its base64url segment, already checked canonical, decoded by the check itself (on Node into
 * a reused buffer). Synchronous on Node; a promise on WebCrypto. Throws only Keygate errors.
 */
export type SignatureCheck = (signingInput: string, signature: string) => boolean | Promise<boolean>

/** A runtime's way to check signatures; keys are imported once and reused. */
export interface SignatureBackend {
  readonly name: 'node' | 'webcrypto'
  /** The check for a public JWK and an algorithm, imported on first use and cached per JWK object. */
  forKey(jwk: JWK, alg: string): SignatureCheck
  /** The check for an HMAC secret (RFC 7518 §3.2); built once per issuer and algorithm. */
  forSecret(secret: Uint8Array, alg: string): SignatureCheck
}

/**
 * `build` memoized per JWK object and algorithm, as both backends' `forKey` needs: a key is
 * imported once, and a JWK that leaves the JWKS takes its checks with it (weakly held).
 */
export function perKey(build: (jwk: JWK, alg: string) => SignatureCheck): SignatureBackend['forKey'] {
  const cache = new WeakMap<JWK, Map<string, SignatureCheck>>()
  return (jwk, alg) => {
    let byAlg = cache.get(jwk)
    const hit = byAlg?.get(alg)
    if (hit !== undefined) return hit
    const check = build(jwk, alg)
    if (byAlg === undefined) {
      byAlg = new Map()
      cache.set(jwk, byAlg)
    }
    byAlg.set(alg, check)
    return check
  }
}

/** Hash size in bits named by an algorithm: 'RS256' → 256; EdDSA has none. */
export function hashBits(alg: string): number {
  return Number(alg.slice(2))
}

/**
 * node:crypto when the runtime has it (synchronous, ~4× jose's WebCrypto path), WebCrypto
 * otherwise (edge runtimes). Chosen once per `createAuth`.
 */
export function createSignatureBackend(): SignatureBackend {
  const nodeCrypto = getBuiltin<NodeCrypto>('node:crypto')
  const buffer = getBuiltin<{ Buffer: Parameters<typeof createNodeBackend>[1] }>('node:buffer')?.Buffer
  if (nodeCrypto && typeof nodeCrypto.verify === 'function' && buffer)
    return createNodeBackend(nodeCrypto, buffer)
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle
  if (subtle) return createWebBackend(subtle)
  throw new ConfigurationError('This runtime has neither node:crypto nor WebCrypto (crypto.subtle)')
}
