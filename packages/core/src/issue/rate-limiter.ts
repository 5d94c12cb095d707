import type { Clock } from '../types.js'

/**
 * Counts failed attempts per key (a client address, an address with an API key id, a key id).
 * Memory here; a shared implementation (`@keygate/redis`) lets several processes enforce one limit.
 *
 * `scale` (an integer ≥ 1, default 1) multiplies the limiter's budget for that key: the issuer
 * gives a client address `rateLimit.addressScale` times the budget of one address and one key.
 */
export interface RateLimiter {
  /**
   * Seconds the caller must wait before another attempt for `key`; 0 when allowed. Asked on every
   * credential check: a limiter that knows at once may answer without a promise.
   */
  check(key: string, scale?: number): number | Promise<number>
  /** Records a failure for `key`; returns the seconds to wait if this failure exhausted the budget, else 0. */
  fail(key: string, scale?: number): number | Promise<number>
}

/** Options of `createMemoryRateLimiter`. */
export interface MemoryRateLimiterOptions {
  /** Failures allowed per window. */
  maxFailures: number
  /** Window length in milliseconds (fixed window, starting at the first failure). */
  windowMs: number
  clock?: Clock
  /** Bound on tracked keys, so a flood of addresses cannot grow memory without limit. Default 10 000. */
  maxKeys?: number
}

const DEFAULT_MAX_KEYS = 10_000

/**
 * A fixed-window failure counter in process memory. When full, the oldest window is dropped
 * first (a Map iterates in insertion order), which at worst forgives an old offender early.
 *
 * @example
 * const limiter = createMemoryRateLimiter({ maxFailures: 10, windowMs: 60_000 })
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const clock = options.clock ?? Date.now
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
  const windows = new Map<string, { start: number; failures: number }>()

  const current = (key: string, now: number) => {
    const entry = windows.get(key)
    if (entry && now - entry.start >= options.windowMs) {
      windows.delete(key)
      return undefined
    }
    return entry
  }
  const waitOf = (entry: { start: number }, now: number) =>
    Math.max(1, Math.ceil((entry.start + options.windowMs - now) / 1000))

  return {
    check(key, scale = 1) {
      const now = clock()
      const entry = current(key, now)
      return entry && entry.failures >= options.maxFailures * scale ? waitOf(entry, now) : 0
    },
    fail(key, scale = 1) {
      const now = clock()
      let entry = current(key, now)
      if (!entry) {
        if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string)
        entry = { start: now, failures: 0 }
        windows.set(key, entry)
      }
      entry.failures += 1
      return entry.failures >= options.maxFailures * scale ? waitOf(entry, now) : 0
    },
  }
}
