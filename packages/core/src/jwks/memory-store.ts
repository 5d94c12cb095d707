import type { Clock } from '../types.js'
import type { KeyStore, StoredJWKS } from './types.js'

/** Options of `createMemoryKeyStore`. */
export interface MemoryKeyStoreOptions {
  /** Clock for entry and lock lifetimes (ms since epoch). Default `Date.now`. */
  clock?: Clock
}

/**
 * A `KeyStore` in this process's memory: the default home of a remote JWKS, and a way for
 * several sources in one process to share one copy and one upstream fetch. Values are stored
 * as JSON, like a networked store would, so callers never share mutable objects with it.
 *
 * @example
 * const store = createMemoryKeyStore()
 * const a = createRemoteJWKS({ jwksUri, store })
 * const b = createRemoteJWKS({ jwksUri, store }) // starts warm from what `a` fetched
 */
export function createMemoryKeyStore(options: MemoryKeyStoreOptions = {}): KeyStore {
  const clock = options.clock ?? Date.now
  const entries = new Map<string, { json: string; expiresAt: number }>()
  const locks = new Map<string, number>()

  return {
    async get(key: string): Promise<StoredJWKS | undefined> {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.expiresAt <= clock()) {
        entries.delete(key)
        return undefined
      }
      return JSON.parse(entry.json) as StoredJWKS
    },
    async set(key: string, value: StoredJWKS, ttlMs: number): Promise<void> {
      entries.set(key, { json: JSON.stringify(value), expiresAt: clock() + Math.max(0, ttlMs) })
    },
    async delete(key: string): Promise<void> {
      entries.delete(key)
    },
    // Check-and-set in one synchronous step: JavaScript's run-to-completion makes it exclusive.
    async acquire(key: string, ttlMs: number): Promise<boolean> {
      const now = clock()
      const heldUntil = locks.get(key)
      if (heldUntil !== undefined && heldUntil > now) return false
      locks.set(key, now + Math.max(0, ttlMs))
      return true
    },
    async release(key: string): Promise<void> {
      locks.delete(key)
    },
  }
}
