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
  /**
   * The revocation source's `version` read just before the token was last found not revoked;
   * while the source still has it, the answer stands. `undefined`: ask on every hit.
   */
  revocationVersion: number | undefined
}

/** A bounded verified-token cache. */
export interface TokenCache<C extends JWTClaims = JWTClaims> {
  get(token: string, now: number): Principal<C> | undefined
  /** `get`, answering the entry itself (the verifier keeps its revocation version there). */
  hit(token: string, now: number): CacheEntry<C> | undefined
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
// signature bits (a verified token's last segment is at least 43 of them): 16 of them carry over
// 90 bits, unique per token, and cost next to nothing to hash; a hit still compares the whole
// token.
const KEY_CHARS = 16

function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token
}

// An entry, the key it is stored under, and its neighbours in recency order. A hit moves its
// slot to the newest end of this list (a few pointer writes) instead of re-inserting it in the
// map, which costs a delete and a set; the map only finds slots.
interface Slot<C extends JWTClaims> {
  readonly key: string
  readonly entry: CacheEntry<C>
  newer: Slot<C> | undefined
  older: Slot<C> | undefined
}

/**
 * A verified-token cache keyed by the token, bounded by `max` and evicting the least recently
 * used entry. A hit is the very same token, re-checked against the clock and the key set: an
 * entry never outlives `exp`, and goes as soon as its key leaves the JWKS. Only successes are
 * stored; a failure is recomputed every time.
 *
 * @example
 * const cache = createTokenCache(10_000)
 * const principal = cache.get(token, Date.now())
 */
export function createTokenCache<C extends JWTClaims = JWTClaims>(max: number): TokenCache<C> {
  const slots = new Map<string, Slot<C>>()
  let newest: Slot<C> | undefined
  let oldest: Slot<C> | undefined

  function unlink(slot: Slot<C>): void {
    if (slot.newer === undefined) newest = slot.older
    else slot.newer.older = slot.older
    if (slot.older === undefined) oldest = slot.newer
    else slot.older.newer = slot.newer
    slot.newer = undefined
    slot.older = undefined
  }

  function makeNewest(slot: Slot<C>): void {
    slot.older = newest
    if (newest === undefined) oldest = slot
    else newest.newer = slot
    newest = slot
  }

  function remove(slot: Slot<C>): void {
    unlink(slot)
    slots.delete(slot.key)
  }

  function hit(token: string, now: number): CacheEntry<C> | undefined {
    // Found by the signature's tail only: a token is compared in full with a cached one (an
    // early-exit comparison) only once its last 16 characters match, so a stranger's token
    // cannot time its way along a cached token someone else sent.
    const slot = slots.get(keyOf(token))
    // Another token ending the same way (a forgery reusing a signature) is a miss.
    if (slot === undefined || slot.entry.token !== token) return undefined
    const { entry } = slot
    if (
      now >= entry.expiresAt ||
      now < entry.notBefore ||
      (entry.source !== undefined && !stillPublished(entry, entry.source.peek()))
    ) {
      remove(slot)
      return undefined
    }
    if (slot !== newest) {
      unlink(slot)
      makeNewest(slot)
    }
    return entry
  }

  return {
    get(token, now) {
      return hit(token, now)?.principal
    },
    hit,
    set(entry) {
      const key = keyOf(entry.token)
      const previous = slots.get(key)
      if (previous !== undefined) remove(previous)
      const slot: Slot<C> = { key, entry, newer: undefined, older: undefined }
      slots.set(key, slot)
      makeNewest(slot)
      if (slots.size > max) remove(oldest!)
    },
    get size() {
      return slots.size
    },
  }
}
