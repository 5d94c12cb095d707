import type { JWKSSource } from '../jwks/types.js'
import type { JWK, JWTClaims, Principal } from '../types.js'

/** What the cache needs to know about a verified token to serve it again safely. */
export interface CacheEntry<C extends JWTClaims = JWTClaims> {
  /** The whole token: a hit needs it equal to the one asked for, character for character. */
  readonly token: string
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
  set(entry: CacheEntry<C>): void
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

// A token arrives as a fresh string on every request, so a `Map` keyed by it would hash all of
// it (~1 µs for an 800-character RS256 token) on every lookup. The last characters are
// signature bits (a verified token's last segment is at least 43 of them), unique per token,
// and cost next to nothing to hash; a hit still compares the whole token.
const KEY_CHARS = 32

function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token
}

// An entry and the key it is stored under: moving it re-uses that key rather than the caller's
// fresh string, so a hit leaves nothing new in the long-lived map.
interface Slot<C extends JWTClaims> {
  readonly key: string
  readonly entry: CacheEntry<C>
}

/**
 * A verified-token cache keyed by the token (a `Map` in least-recently-used order, so memory is
 * bounded by `max`). A hit is the very same token, re-checked against the clock and the key
 * set: an entry never outlives `exp`, and goes as soon as its key leaves the JWKS. Only
 * successes are stored; a failure is recomputed every time.
 *
 * @example
 * const cache = createTokenCache(10_000)
 * const principal = cache.get(token, Date.now())
 */
export function createTokenCache<C extends JWTClaims = JWTClaims>(max: number): TokenCache<C> {
  const slots = new Map<string, Slot<C>>()
  // The most recently used slot: a hit on it is already in place (a client's burst of calls).
  let newest: Slot<C> | undefined
  return {
    get(token, now) {
      const slot = slots.get(keyOf(token))
      // Another token ending the same way (a forgery reusing a signature) is a miss.
      if (slot === undefined || slot.entry.token !== token) return undefined
      const { entry } = slot
      if (
        now >= entry.expiresAt ||
        now < entry.notBefore ||
        (entry.source !== undefined && !stillPublished(entry, entry.source.peek()))
      ) {
        slots.delete(slot.key)
        if (slot === newest) newest = undefined
        return undefined
      }
      if (slot !== newest) {
        // Move to the most recent end; Map keeps insertion order.
        slots.delete(slot.key)
        slots.set(slot.key, slot)
        newest = slot
      }
      return entry.principal
    },
    set(entry) {
      const key = keyOf(entry.token)
      const slot: Slot<C> = { key, entry }
      slots.delete(key)
      slots.set(key, slot)
      newest = slot
      if (slots.size > max) slots.delete(slots.keys().next().value as string)
    },
    get size() {
      return slots.size
    },
  }
}
