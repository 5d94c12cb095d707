import type { JWK } from '../types.js'

/**
 * The issuer's persistence seam. Everything the issuer knows lives here — signing keys, API
 * keys, refresh tokens — so a restarted process (or a second one) picks up exactly where the
 * others are. Memory in core (`createMemoryIssuerStore`), PostgreSQL/PGlite in
 * `@keygate/postgres`; `issuerStoreContract` in `@keygate/core/testing` is the executable spec.
 *
 * All times are epoch milliseconds (UTC) from the issuer's clock, passed in by the issuer:
 * stores never read a clock of their own.
 */

/** Algorithms the issuer signs with (RFC 8037 EdDSA/Ed25519, RFC 7518 ES256 and RS256). */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256'

/** `next`: published, not yet signing. `current`: signing. `retired`: published until its tokens expire. */
export type SigningKeyState = 'next' | 'current' | 'retired'

/** One signing key as stored. The private key is only ever stored sealed. */
export interface SigningKeyRecord {
  /** The JWK thumbprint (RFC 7638), used as `kid`. */
  id: string
  algorithm: SigningAlgorithm
  state: SigningKeyState
  /** Public JWK with `kid`, `alg`, `use: 'sig'`. */
  publicJwk: JWK
  /** The private JWK, AES-256-GCM sealed under the issuer's `encryptionKey`, bound to `id`. */
  sealedPrivateKey: string
  /** When it was created and published (epoch ms). */
  createdAt: number
  /** When it became `current`. */
  activatedAt: number | null
  /** When it became `retired`; it leaves the JWKS at `retiredAt + retireAfter`. */
  retiredAt: number | null
}

/** The signing keys with the version they were read at, for compare-and-set. */
export interface SigningKeyRing {
  /** Incremented by every successful `updateSigningKeys`; 0 for an empty store. */
  version: number
  keys: SigningKeyRecord[]
}

/** One atomic change to the key ring: records to insert or replace (by `id`), ids to delete. */
export interface SigningKeyChanges {
  put?: readonly SigningKeyRecord[]
  delete?: readonly string[]
}

/** An API key as stored: only the hash of the key, never the key. */
export interface APIKeyRecord {
  /** Public id, also the `client_id` and the part between the prefix and the secret. */
  id: string
  /** base64url SHA-256 of the whole key string. */
  keyHash: string
  /** The subject tokens are issued for; never taken from a request. */
  subject: string
  name: string
  permissions: string[]
  /** Audiences of issued tokens; `null` = the issuer's default audience. */
  audience: string[] | null
  metadata: Record<string, unknown>
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  lastUsedAt: number | null
}

/** Which API keys `listAPIKeys` returns: one subject's, one page of them. */
export interface APIKeyListFilter {
  subject?: string
  /** Id of the last key already seen (the previous page's cursor). */
  after?: string
  /** At most this many keys (a positive integer). */
  limit?: number
}

/** A refresh token as stored: only the hash of the token. */
export interface RefreshTokenRecord {
  id: string
  /** base64url SHA-256 of the whole token string. */
  tokenHash: string
  /** Rotation family (the id of the first token of the chain). */
  familyId: string
  /** The API key it was issued through; `null` for tokens from `createToken`. */
  apiKeyId: string | null
  subject: string
  /** Permissions granted to the chain (after any down-scoping). */
  permissions: string[]
  groups: string[]
  audience: string[]
  /** Custom claims repeated in every access token of the chain (`createToken` only). */
  claims: Record<string, unknown>
  /** Application data attached by `createToken({ refresh: { data } })`. */
  data: Record<string, unknown> | null
  createdAt: number
  expiresAt: number
  /** Set when rotated: the token may not be used again (beyond the grace window). */
  consumedAt: number | null
  /** The token that replaced it when rotated. */
  successorId: string | null
  revokedAt: number | null
}

/**
 * The answer of `consumeRefreshToken`: `consumed` when this call marked it used and stored the
 * successor; otherwise the record as it is now (already consumed, revoked, or gone).
 */
export type ConsumeResult = { consumed: true } | { consumed: false; record: RefreshTokenRecord | undefined }

/**
 * Storage for `createIssuer`. Every method is async and must be safe for concurrent callers in
 * several processes; the atomic ones say so.
 */
export interface IssuerStore {
  /** All signing keys and the ring's version. */
  getSigningKeys(): Promise<SigningKeyRing>
  /**
   * Atomically applies `changes` and increments the version — only when the version is still
   * `expectedVersion`. Returns false (and changes nothing) when another writer got there first.
   */
  updateSigningKeys(expectedVersion: number, changes: SigningKeyChanges): Promise<boolean>

  /** Inserts a new API key; rejects if the id exists. */
  createAPIKey(record: APIKeyRecord): Promise<void>
  getAPIKey(id: string): Promise<APIKeyRecord | undefined>
  /**
   * API keys, optionally only one subject's, oldest first: ordered by (`createdAt`, `id`) so a
   * page boundary is exact (keyset paging). `after` is the id of the last key of the previous
   * page; only keys after it in that order are returned (none when it names no key). `limit`
   * caps the count; without it every matching key is returned.
   */
  listAPIKeys(filter?: APIKeyListFilter): Promise<APIKeyRecord[]>
  /** Sets `revokedAt` if not yet revoked; returns the record as it is after the call, `undefined` if unknown. */
  revokeAPIKey(id: string, at: number): Promise<APIKeyRecord | undefined>
  /** Records a use (`lastUsedAt`). */
  touchAPIKey(id: string, at: number): Promise<void>

  /** Inserts a new refresh token; rejects if the id exists. */
  createRefreshToken(record: RefreshTokenRecord): Promise<void>
  getRefreshToken(id: string): Promise<RefreshTokenRecord | undefined>
  /**
   * Atomically: if token `id` exists, is neither consumed nor revoked, mark it consumed at `at`
   * with `successor.id` and insert `successor`. Of two concurrent calls exactly one consumes.
   */
  consumeRefreshToken(id: string, at: number, successor: RefreshTokenRecord): Promise<ConsumeResult>
  /** Revokes one token (no-op if unknown or already revoked). */
  revokeRefreshToken(id: string, at: number): Promise<void>
  /** Revokes every not-yet-revoked token of a family; returns how many. */
  revokeRefreshFamily(familyId: string, at: number): Promise<number>
  /** Revokes every not-yet-revoked token issued through an API key; returns how many. */
  revokeRefreshTokensOfAPIKey(apiKeyId: string, at: number): Promise<number>
  /** Optional housekeeping: deletes refresh tokens that expired before `before`. */
  deleteExpiredRefreshTokens?(before: number): Promise<number>
}
