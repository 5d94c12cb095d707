import type { JWK, JWKS } from '../types.js'
import { FetchFailure } from './http-get.js'

/**
 * Checks that a parsed body is a JWK Set (RFC 7517 §5: an object whose `keys` is an array of
 * objects with a string `kty`) and returns a deep-frozen copy: the keys are shared by every
 * caller, and a verifier that caches imported keys by object identity must see them unchanged.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export function parseJWKS(value: unknown, status = 200): JWKS {
  if (!isObject(value) || !Array.isArray(value.keys)) {
    throw new FetchFailure('shape', 'not a JWK Set: no "keys" array', status)
  }
  const keys: JWK[] = []
  for (const key of value.keys as unknown[]) {
    if (!isObject(key) || typeof key.kty !== 'string') {
      throw new FetchFailure('shape', 'not a JWK Set: a key is not an object with "kty"', status)
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
