import type { JWK, JWKS } from '../types.js'
import { FetchFailure } from './http-get.js'
import { isPrivateJWK } from './private-key.js'

/**
 * Checks that a parsed body is a JWK Set (RFC 7517 §5: an object whose `keys` is an array of
 * objects with a string `kty`) and returns a deep-frozen copy: the keys are shared by every
 * caller, and a verifier that caches imported keys by object identity must see them unchanged.
 * Keys carrying private members (`d`, `k`, the RSA CRT parameters) are left out and reported
 * through `onPrivateKey`: a published private key means anyone can sign with it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-9.2
 */
export function parseJWKS(
  value: unknown,
  status = 200,
  onPrivateKey?: (kid: string | undefined) => void,
): JWKS {
  if (!isObject(value) || !Array.isArray(value.keys)) {
    throw new FetchFailure('shape', 'not a JWK Set: no "keys" array', status)
  }
  const keys: JWK[] = []
  for (const key of value.keys as unknown[]) {
    if (!isObject(key) || typeof key.kty !== 'string') {
      throw new FetchFailure('shape', 'not a JWK Set: a key is not an object with "kty"', status)
    }
    if (isPrivateJWK(key)) {
      onPrivateKey?.(typeof key.kid === 'string' ? key.kid : undefined)
      continue
    }
    keys.push(deepFreeze(structuredCopy(key)) as JWK)
  }
  return Object.freeze({ keys: Object.freeze(keys) as JWK[] })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** JSON-level copy: the store and the caller never share mutable objects. */
function structuredCopy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown
}

// An explicit stack: a key set read back from a shared store is still someone else's structure.
function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const inner = stack.pop()
    if (typeof inner === 'object' && inner !== null && !Object.isFrozen(inner)) {
      for (const member of Object.values(inner)) stack.push(member)
      Object.freeze(inner)
    }
  }
  return value
}
