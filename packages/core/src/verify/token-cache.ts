import type { JWKSSource } from '../jwks/types.js'
import type { JWK, JWTClaims, Principal } from '../types.js'

/** What the cache needs to know about a verified token to serve it again safely. */
export interface CacheEntry<C extends JWTClaims = JWTClaims> {
  readonly principal: Principal<C>
  /** The entry is served only before this instant (ms): `exp`, `iat` + max age, the TTL. */
  readonly expiresAt: number
  /** …and not before this one (ms), should the clock go back. */
  readonly notBefore: number
  /** Where the key came from and the key itself; `undefined` for HMAC (no key set). */
  readonly source: JWKSSource | undefined
  readonly jwk: JWK | undefined
  /** The key set the key was found in; compared by identity first, so a hit costs no scan. */
  keys: readonly JWK[] | undefined
}

/** A bounded verified-token cache. */
export interface TokenCache<C extends JWTClaims = JWTClaims> {
  get(token: string, now: number): Principal<C> | undefined
  set(token: string, entry: CacheEntry<C>): void
  readonly size: number
}

// The public material and the members that decide what the key may verify.
const MATERIAL = ['kty', 'crv', 'n', 'e', 'x', 'y', 'alg', 'use'] as const

function sameKey(a: JWK, b: JWK): boolean {
  if (a === b) return true
  if (a.kid !== b.kid) return false
  for (const name of MATERIAL) if (a[name] !== b[name]) return false
  return true
}

// After a refresh the set is a new array with new objects: the key is still there when one
// with the same kid and the same public material is.
function stillPublished<C extends JWTClaims>(
  entry: CacheEntry<C>,
  keys: readonly JWK[] | undefined,
): boolean {
  if (keys === undefined || entry.jwk === undefined) return false
  if (keys === entry.keys) return true
  for (const key of keys) {
    if (sameKey(key, entry.jwk)) {
      entry.keys = keys
      return true
    }
  }
  return false
}

/**
 * A verified-token cache keyed by the whole token string (a `Map` in least-recently-used
 * order, so memory is bounded by `max`). A hit is re-checked against the clock and the key
 * set: an entry never outlives `exp`, and goes as soon as its key leaves the JWKS. Only
 * successes are stored; a failure is recomputed every time.
 *
 * @example
 * const cache = createTokenCache(10_000)
 * const principal = cache.get(token, Date.now())
 */
export function createTokenCache<C extends JWTClaims = JWTClaims>(max: number): TokenCache<C> {
  const entries = new Map<string, CacheEntry<C>>()
  return {
    get(token, now) {
      const entry = entries.get(token)
      if (entry === undefined) return undefined
      if (
        now >= entry.expiresAt ||
        now < entry.notBefore ||
        (entry.source !== undefined && !stillPublished(entry, entry.source.peek()))
      ) {
        entries.delete(token)
        return undefined
      }
      // Move to the most recent end; Map keeps insertion order.
      entries.delete(token)
      entries.set(token, entry)
      return entry.principal
    },
    set(token, entry) {
      entries.delete(token)
      entries.set(token, entry)
      if (entries.size > max) entries.delete(entries.keys().next().value as string)
    },
    get size() {
      return entries.size
    },
  }
}
