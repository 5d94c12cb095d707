// A jose subpath, not its root (see key-ring.ts).
import { importJWK } from 'jose/key/import'
import type { JWK } from '../types.js'
import { type NodeCrypto, nodeCrypto } from './node-crypto.js'
import type { SigningAlgorithm } from './store.js'

/**
 * Signs a JWS signing input (RFC 7515 §5.1) and returns the raw signature (P1363 for ECDSA):
 * at once where signing happens on the calling thread, else as a promise.
 */
export type SignFunction = (signingInput: Uint8Array) => Uint8Array | Promise<Uint8Array>

const NODE_DIGEST: Record<SigningAlgorithm, string | null> = { EdDSA: null, ES256: 'sha256', RS256: 'sha256' }

/**
 * Where Node signs. Ed25519 and P-256 take ~30–40 µs, less than handing the job to libuv's thread
 * pool and back costs in CPU (measured by bench/issuer.mjs), so they sign on the event loop. An
 * RSA-2048 signature takes ~300 µs and would stall every other request: it goes to the pool.
 */
const NODE_ASYNC: Record<SigningAlgorithm, boolean> = { EdDSA: false, ES256: false, RS256: true }

const WEB_PARAMS: Record<SigningAlgorithm, AlgorithmIdentifier | EcdsaParams> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
}

/**
 * Turns a private JWK into a sign function, once per key (callers cache it). On Node the key
 * becomes a `KeyObject` signed with `node:crypto` (see `NODE_ASYNC` for which algorithms use the
 * thread pool); elsewhere it is a WebCrypto `CryptoKey` (imported by jose) and `crypto.subtle.sign`.
 */
export async function createSigner(
  algorithm: SigningAlgorithm,
  privateJwk: JWK,
  node: NodeCrypto | undefined = nodeCrypto,
): Promise<SignFunction> {
  if (node) {
    const keyObject = node.createPrivateKey({ key: privateJwk, format: 'jwk' })
    const key = algorithm === 'ES256' ? { key: keyObject, dsaEncoding: 'ieee-p1363' as const } : keyObject
    const digest = NODE_DIGEST[algorithm]
    if (!NODE_ASYNC[algorithm]) return (signingInput) => node.sign(digest, signingInput, key)
    return (signingInput) =>
      new Promise((resolve, reject) => {
        node.sign(digest, signingInput, key, (error, signature) =>
          error ? reject(error) : resolve(signature),
        )
      })
  }
  const cryptoKey = await importJWK(privateJwk, algorithm)
  if (!(cryptoKey instanceof CryptoKey)) throw new TypeError('expected an asymmetric private key')
  const params = WEB_PARAMS[algorithm]
  return async (signingInput) =>
    new Uint8Array(await crypto.subtle.sign(params, cryptoKey, signingInput.slice()))
}
