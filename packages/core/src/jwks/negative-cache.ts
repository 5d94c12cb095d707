/**
 * A bounded set of recently unknown `kid`s, each remembered until a deadline. When full, the
 * oldest entry goes first: a flood of random kids churns through a fixed amount of memory
 * instead of growing it, and costs no fetch while the cooldown runs.
 */
export interface NegativeCache {
  has(kid: string, now: number): boolean
  add(kid: string, until: number): void
  clear(): void
  readonly size: number
}

/** Creates a negative cache holding at most `max` entries. */
export function createNegativeCache(max: number): NegativeCache {
  const entries = new Map<string, number>()
  return {
    has(kid, now) {
      const until = entries.get(kid)
      if (until === undefined) return false
      if (until > now) return true
      entries.delete(kid)
      return false
    },
    add(kid, until) {
      if (max <= 0) return
      entries.delete(kid)
      while (entries.size >= max) {
        const oldest = entries.keys().next()
        if (oldest.done) break
        entries.delete(oldest.value)
      }
      entries.set(kid, until)
    },
    clear() {
      entries.clear()
    },
    get size() {
      return entries.size
    },
  }
}
