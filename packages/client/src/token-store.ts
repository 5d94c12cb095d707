/** Tokens as a client keeps them; plain JSON so any store can hold them. */
export interface StoredTokens {
  accessToken: string
  /** Epoch ms (wall clock of the process that obtained it) after which the token must not be used: receipt time + expires_in. Only for sharing across processes; within one process the monotonic clock decides. */
  expiresAt: number
  refreshToken?: string
  scope?: string
}

export interface TokenStore {
  get(key: string): Promise<StoredTokens | undefined>
  set(key: string, tokens: StoredTokens, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  /** Optional cross-process lease so one process refreshes: true when this caller holds it for ttlMs. */
  acquire?(key: string, ttlMs: number): Promise<boolean>
  release?(key: string): Promise<void>
}

export interface MemoryTokenStoreOptions {
  /** Epoch ms; entries and leases expire by it. Default `Date.now`. */
  clock?: () => number
}

/**
 * A `TokenStore` in this process's memory, with leases: clients of one process that share it
 * share one token and one refresh. Every client gets its own one by default.
 *
 * @example
 * const store = createMemoryTokenStore()
 * const a = createClient({ issuer, key, origins, store })
 * const b = createClient({ issuer, key, origins, store }) // same token, one refresh for both
 */
export function createMemoryTokenStore(options: MemoryTokenStoreOptions = {}): TokenStore {
  const clock = options.clock ?? Date.now
  const entries = new Map<string, { tokens: StoredTokens; until: number }>()
  const leases = new Map<string, number>()
  return {
    async get(key) {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (clock() >= entry.until) {
        entries.delete(key)
        return undefined
      }
      // A copy: a caller that edits what it got must not edit the store.
      return { ...entry.tokens }
    },
    async set(key, tokens, ttlMs) {
      entries.set(key, { tokens: { ...tokens }, until: clock() + ttlMs })
    },
    async delete(key) {
      entries.delete(key)
    },
    async acquire(key, ttlMs) {
      const now = clock()
      const until = leases.get(key)
      if (until !== undefined && now < until) return false
      leases.set(key, now + ttlMs)
      return true
    },
    async release(key) {
      leases.delete(key)
    },
  }
}
