import { toMs } from '../duration.js'
import { InvalidClientError, InvalidRequestError } from '../errors.js'
import type { Clock, Duration } from '../types.js'
import { API_KEY_PREFIX, generateCredential, parseCredential } from './credential-format.js'
import { constantTimeEqual, sha256, sha256Sync } from './encoding.js'
import type { RevocationPublisher } from './revocation-sink.js'
import type { APIKeyRecord, IssuerStore } from './store.js'
import type { APIKeyInfo, APIKeys, CreateAPIKeyInput, IssuerEvent } from './types.js'
import { checkAudience, checkObject, checkScopeList, checkText } from './validation.js'

/** `last_used_at` is written at most this often per key: one store write per minute, not per request. */
const LAST_USED_RESOLUTION_MS = 60_000
/**
 * A verified key's record is reused this long, saving a store round trip per request for busy
 * clients. Revocation through this process takes effect at once; through another process within
 * this time. The key itself is still hashed and compared on every request.
 */
export const KEY_RECORD_CACHE_MS = 1_000
/** Bound on cached records, so many distinct keys cannot grow memory without limit. */
const KEY_RECORD_CACHE_MAX = 10_000

/** Why a credential was refused; reported in `auth_failed` events, never to the client. */
export type CredentialFailure =
  | 'malformed'
  | 'unknown'
  | 'mismatch'
  | 'revoked'
  | 'expired'
  | 'client_id_mismatch'

/** An `InvalidClientError` that remembers why, for events and rate limiting. */
export class CredentialRejected extends InvalidClientError {
  constructor(
    readonly reason: CredentialFailure,
    readonly keyId: string | null,
  ) {
    // One message for every reason: a caller learns nothing about which part was wrong.
    super('The client credentials are invalid')
  }
}

/** API key management plus the authentication the routes use. */
export interface APIKeyService extends APIKeys {
  /** The key id of a well-formed key (checksum verified), without touching the store. */
  parse(key: string): string | undefined
  /**
   * Verifies a key and returns its record; throws `CredentialRejected`. `parsedId` is the
   * result of an earlier `parse(key)`, so the checksum is not computed twice.
   */
  authenticate(key: string, parsedId?: string): Promise<APIKeyRecord>
  /** The record of a key that is neither revoked nor expired, else `undefined`. */
  active(id: string): Promise<APIKeyRecord | undefined>
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** The administrator's view of a record: no hash, ISO 8601 UTC times. */
export function toAPIKeyInfo(record: APIKeyRecord): APIKeyInfo {
  return {
    id: record.id,
    subject: record.subject,
    name: record.name,
    permissions: [...record.permissions],
    audience: record.audience === null ? null : [...record.audience],
    metadata: record.metadata,
    createdAt: iso(record.createdAt)!,
    expiresAt: iso(record.expiresAt),
    revokedAt: iso(record.revokedAt),
    lastUsedAt: iso(record.lastUsedAt),
  }
}

function lifetime(value: Duration | undefined): number | null {
  if (value === undefined) return null
  try {
    const ms = toMs(value, 'expiresIn')
    if (ms > 0) return ms
  } catch {
    // fall through to the request error below
  }
  throw new InvalidRequestError('expiresIn must be a positive duration')
}

export function createAPIKeyService(options: {
  store: IssuerStore
  clock: Clock
  emit: (event: IssuerEvent) => void
  revocations: RevocationPublisher
}): APIKeyService {
  const { store, clock, emit, revocations } = options
  const cache = new Map<string, { record: APIKeyRecord; until: number }>()

  /** The cached record while it is fresh, else `undefined`: the hot path needs no promise. */
  function cached(id: string): APIKeyRecord | undefined {
    const hit = cache.get(id)
    return hit && clock() < hit.until ? hit.record : undefined
  }

  async function load(id: string): Promise<APIKeyRecord | undefined> {
    const now = clock()
    const record = await store.getAPIKey(id)
    if (record) {
      // Never changed after creation, and then shared by every refresh token issued through the
      // key: frozen, a store may keep them by reference.
      Object.freeze(record.permissions)
      if (record.audience) Object.freeze(record.audience)
      if (cache.size >= KEY_RECORD_CACHE_MAX) cache.delete(cache.keys().next().value as string)
      cache.set(id, { record, until: now + KEY_RECORD_CACHE_MS })
    } else {
      cache.delete(id)
    }
    return record
  }

  return {
    async create(input: CreateAPIKeyInput) {
      const subject = checkText(input?.subject, 'subject')
      const name = checkText(input.name, 'name')
      const permissions = checkScopeList(input.permissions, 'permissions')
      const audience = input.audience === undefined ? null : checkAudience(input.audience)
      const metadata = checkObject(input.metadata, 'metadata')
      const ttl = lifetime(input.expiresIn)
      const now = clock()
      const { id, credential } = generateCredential(API_KEY_PREFIX)
      const record: APIKeyRecord = {
        id,
        keyHash: await sha256(credential),
        subject,
        name,
        permissions,
        audience,
        metadata,
        createdAt: now,
        expiresAt: ttl === null ? null : now + ttl,
        revokedAt: null,
        lastUsedAt: null,
      }
      await store.createAPIKey(record)
      emit({ type: 'key_created', keyId: id, subject, at: now })
      return { id, key: credential, record: toAPIKeyInfo(record) }
    },
    async revoke(id) {
      if (typeof id !== 'string') return false
      const now = clock()
      cache.delete(id)
      const record = await store.revokeAPIKey(id, now)
      if (!record) return false
      // The key's live access tokens (`client_id`) through the `revocations` sink. A failure
      // rejects (503); revoking again publishes again (the store answers for a revoked key too).
      await revocations.client(id)
      // Refresh tokens are also checked against their key on every use; revoking them too
      // keeps introspection and the store honest.
      const refreshTokensRevoked = await store.revokeRefreshTokensOfAPIKey(id, now)
      emit({ type: 'key_revoked', keyId: id, subject: record.subject, refreshTokensRevoked, at: now })
      return true
    },
    async list(filter = {}) {
      return (await store.listAPIKeys(filter)).map(toAPIKeyInfo)
    },
    async get(id) {
      const record = await store.getAPIKey(id)
      return record && toAPIKeyInfo(record)
    },
    async active(id) {
      const record = await store.getAPIKey(id)
      if (!record || record.revokedAt !== null) return undefined
      if (record.expiresAt !== null && clock() >= record.expiresAt) return undefined
      return record
    },
    parse(key) {
      return parseCredential(API_KEY_PREFIX, key)?.id
    },
    async authenticate(key, parsedId) {
      const id = parsedId ?? parseCredential(API_KEY_PREFIX, key)?.id
      if (id === undefined) throw new CredentialRejected('malformed', null)
      const record = cached(id) ?? (await load(id))
      if (!record) throw new CredentialRejected('unknown', id)
      // SHA-256 is enough for a 256-bit random secret (no dictionary to attack); the comparison
      // is constant-time so response timing reveals nothing about the stored hash.
      const hash = sha256Sync(key) ?? (await sha256(key))
      if (!constantTimeEqual(hash, record.keyHash)) throw new CredentialRejected('mismatch', id)
      const now = clock()
      if (record.revokedAt !== null) throw new CredentialRejected('revoked', id)
      if (record.expiresAt !== null && now >= record.expiresAt) throw new CredentialRejected('expired', id)
      if (record.lastUsedAt === null || now - record.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
        record.lastUsedAt = now
        await store.touchAPIKey(id, now)
      }
      emit({ type: 'key_used', keyId: id, subject: record.subject, at: now })
      return record
    },
  }
}
