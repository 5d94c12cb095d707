import type {
  APIKeyRecord,
  ConsumeResult,
  IssuerStore,
  RefreshTokenRecord,
  SigningKeyChanges,
  SigningKeyRecord,
  SigningKeyRing,
} from './store.js'

/** The in-memory store: its contents, for tests that count calls or inspect state. */
export interface MemoryIssuerStore extends IssuerStore {
  /** Number of calls per method, for asserting that a path never touched the store. */
  readonly calls: Record<string, number>
}

// Records are copied in and out so callers never share mutable state with the store — the
// same isolation a database gives, which keeps tests of the issuer honest. Records are plain
// JSON by contract (a SQL store keeps them as columns and JSON), so a plain recursive copy does;
// it is several times cheaper than `structuredClone` on Node.
function copy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  // Frozen values nobody can change are shared rather than copied — the permission list of an
  // API key sits in every refresh token issued through it, and each copy would be kept for the
  // token's lifetime.
  if (isImmutable(value)) return value
  if (Array.isArray(value)) return value.map(copy) as T
  const out: Record<string, unknown> = {}
  for (const name in value) out[name] = copy((value as Record<string, unknown>)[name])
  return out as T
}

/** A frozen list of primitives, or a frozen empty object: nothing reachable from it can change. */
function isImmutable(value: object): boolean {
  if (!Object.isFrozen(value)) return false
  if (Array.isArray(value)) return value.every((item) => typeof item !== 'object' || item === null)
  for (const _ in value) return false
  return true
}

/** Keyset order of `listAPIKeys`: creation time, then id (ids are unique, so the order is total). */
function byCreation(a: APIKeyRecord, b: APIKeyRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * An `IssuerStore` in process memory: for tests, development and single-process deployments
 * that accept losing keys and API keys on restart. JavaScript's single thread makes every
 * method atomic.
 *
 * @example
 * const issuer = createIssuer({ issuer, audience, store: createMemoryIssuerStore(), encryptionKey })
 */
export function createMemoryIssuerStore(): MemoryIssuerStore {
  let version = 0
  const signingKeys = new Map<string, SigningKeyRecord>()
  const apiKeys = new Map<string, APIKeyRecord>()
  const refreshTokens = new Map<string, RefreshTokenRecord>()
  const calls: Record<string, number> = {}
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1
  }

  /** Revokes every live refresh token that `matches`; returns how many. */
  function revokeRefreshTokensWhere(matches: (record: RefreshTokenRecord) => boolean, at: number): number {
    let n = 0
    for (const record of refreshTokens.values()) {
      if (record.revokedAt === null && matches(record)) {
        record.revokedAt = at
        n += 1
      }
    }
    return n
  }

  return {
    calls,
    async getSigningKeys(): Promise<SigningKeyRing> {
      count('getSigningKeys')
      return { version, keys: [...signingKeys.values()].map(copy) }
    },
    async updateSigningKeys(expectedVersion: number, changes: SigningKeyChanges) {
      count('updateSigningKeys')
      if (expectedVersion !== version) return false
      for (const record of changes.put ?? []) signingKeys.set(record.id, copy(record))
      for (const id of changes.delete ?? []) signingKeys.delete(id)
      version += 1
      return true
    },
    async createAPIKey(record) {
      count('createAPIKey')
      if (apiKeys.has(record.id)) throw new Error('API key id already exists')
      apiKeys.set(record.id, copy(record))
    },
    async getAPIKey(id) {
      count('getAPIKey')
      const record = apiKeys.get(id)
      return record && copy(record)
    },
    async listAPIKeys(filter = {}) {
      count('listAPIKeys')
      const sorted = [...apiKeys.values()]
        .filter((r) => filter.subject === undefined || r.subject === filter.subject)
        .sort(byCreation)
      let start = 0
      if (filter.after !== undefined) {
        const cursor = apiKeys.get(filter.after)
        start = cursor ? sorted.findIndex((r) => byCreation(r, cursor) > 0) : -1
        if (start < 0) return []
      }
      return sorted.slice(start, filter.limit === undefined ? undefined : start + filter.limit).map(copy)
    },
    async revokeAPIKey(id, at) {
      count('revokeAPIKey')
      const record = apiKeys.get(id)
      if (!record) return undefined
      if (record.revokedAt === null) record.revokedAt = at
      return copy(record)
    },
    async touchAPIKey(id, at) {
      count('touchAPIKey')
      const record = apiKeys.get(id)
      if (record && (record.lastUsedAt === null || record.lastUsedAt < at)) record.lastUsedAt = at
    },
    async createRefreshToken(record) {
      count('createRefreshToken')
      if (refreshTokens.has(record.id)) throw new Error('refresh token id already exists')
      refreshTokens.set(record.id, copy(record))
    },
    async getRefreshToken(id) {
      count('getRefreshToken')
      const record = refreshTokens.get(id)
      return record && copy(record)
    },
    async consumeRefreshToken(id, at, successor): Promise<ConsumeResult> {
      count('consumeRefreshToken')
      const record = refreshTokens.get(id)
      if (!record || record.consumedAt !== null || record.revokedAt !== null) {
        return { consumed: false, record: record && copy(record) }
      }
      if (refreshTokens.has(successor.id)) throw new Error('refresh token id already exists')
      record.consumedAt = at
      record.successorId = successor.id
      refreshTokens.set(successor.id, copy(successor))
      return { consumed: true }
    },
    async revokeRefreshToken(id, at) {
      count('revokeRefreshToken')
      const record = refreshTokens.get(id)
      if (record && record.revokedAt === null) record.revokedAt = at
    },
    async revokeRefreshFamily(familyId, at) {
      count('revokeRefreshFamily')
      return revokeRefreshTokensWhere((record) => record.familyId === familyId, at)
    },
    async revokeRefreshTokensOfAPIKey(apiKeyId, at) {
      count('revokeRefreshTokensOfAPIKey')
      return revokeRefreshTokensWhere((record) => record.apiKeyId === apiKeyId, at)
    },
    async deleteExpiredRefreshTokens(before) {
      count('deleteExpiredRefreshTokens')
      let n = 0
      for (const [id, record] of refreshTokens) {
        if (record.expiresAt < before) {
          refreshTokens.delete(id)
          n += 1
        }
      }
      return n
    },
  }
}
