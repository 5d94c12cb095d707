import { AuthError } from '../../errors.js'
import type { Clock } from '../../types.js'
import type { APIKeyService } from '../api-keys.js'
import { base64urlEncode, bytesToBase62, constantTimeEqual } from '../encoding.js'
import type { SecretBox } from '../secret-box.js'
import type { APIKeyRecord, IssuerStore } from '../store.js'
import type { IssuerEvent } from '../types.js'

/**
 * The key registry of the JWThenticator routes. JWThenticator keys are chosen by the caller —
 * any string, often low-entropy — and JWThenticator stored their unsalted SHA-512, so a database
 * read allowed offline guessing. Keygate stores them as ordinary API key records whose `id` and
 * `keyHash` are HMAC-SHA-256 under keys derived from the issuer's `encryptionKey`: without that
 * secret, a copy of the database permits neither replay nor guessing.
 *
 * A key's records form generations 0, 1, 2, …: registering a key again (JWThenticator renews its
 * expiry) writes the next generation and revokes the previous one, because stored records never
 * change (the `IssuerStore` has no update). The newest live generation is found with a galloping
 * search — one store read for a key never renewed, O(log n) after n renewals.
 */

/** Marks the records of this registry in `metadata.protocol` (admins see them in `/admin/api-keys`). */
export const JWTHENTICATOR_PROTOCOL = 'jwthenticator'
/** `keyHash` values start with this, so they can never equal a base64url SHA-256 of an API key. */
const HASH_PREFIX = 'hmac:'
const ID_LENGTH = 16
/** Gallop bound: 2^20 renewals of one key is far beyond any deployment. */
const MAX_GALLOP_STEPS = 20
/** Two registrations of one key racing for the same generation: the loser looks again. */
const MAX_REGISTER_ATTEMPTS = 3

/** Why a key was refused; for events, never for the client. */
export type KeyFailure = 'unknown' | 'expired' | 'revoked' | 'identifier_mismatch'

/** The outcome of `register`. */
export type RegisterResult = { ok: true; record: APIKeyRecord } | { ok: false; reason: 'identifier_conflict' }

export interface KeyRegistry {
  register(key: string, identifier: string): Promise<RegisterResult>
  /** True when the key is registered and neither revoked nor expired (what `/authenticate` needs). */
  isRegistered(key: string): Promise<boolean>
  /** The live record of `key` registered to `identifier`, or why not. */
  authenticate(
    key: string,
    identifier: string,
  ): Promise<{ ok: true; record: APIKeyRecord } | { ok: false; reason: KeyFailure; keyId: string | null }>
  /** The record of `id` when it is a live key of this registry. */
  live(id: string): Promise<APIKeyRecord | undefined>
}

export function createKeyRegistry(options: {
  store: IssuerStore
  box: SecretBox
  apiKeys: APIKeyService
  clock: Clock
  emit: (event: IssuerEvent) => void
  keyExpiryMs: number
  audience: readonly string[]
}): KeyRegistry {
  const { store, box, apiKeys, clock, emit, keyExpiryMs } = options

  const isLive = (record: APIKeyRecord, now: number) =>
    record.revokedAt === null &&
    (record.expiresAt === null || now < record.expiresAt) &&
    record.metadata?.protocol === JWTHENTICATOR_PROTOCOL

  async function idOf(key: string, generation: number): Promise<string> {
    let id = ''
    for (let block = 0; id.length < ID_LENGTH; block++) {
      id += bytesToBase62(
        await box.mac('jwthenticator-key-id', `${generation}:${block}:${key}`),
        ID_LENGTH - id.length,
      )
    }
    return id
  }

  async function hashOf(key: string): Promise<string> {
    return HASH_PREFIX + base64urlEncode(await box.mac('jwthenticator-key', key))
  }

  /**
   * The newest record of `key` and the next free generation. Generations are written in order,
   * so "exists" holds for 0..n-1 and not from n on. `stopAtLive`: answer with the first live
   * record met (authentication: one read for a key never renewed); registration needs the true
   * end of the chain.
   */
  async function latest(
    key: string,
    stopAtLive: boolean,
  ): Promise<{ record: APIKeyRecord | undefined; next: number }> {
    const now = clock()
    const read = async (generation: number) => store.getAPIKey(await idOf(key, generation))
    const first = await read(0)
    if (!first) return { record: undefined, next: 0 }
    if (stopAtLive && isLive(first, now)) return { record: first, next: 1 }
    // Gallop: 1, 3, 7, 15, … until a generation is missing.
    let low = 0
    let lowRecord = first
    let high = 1
    for (let step = 0; ; step++) {
      const record = await read(high)
      if (!record) break
      if ((stopAtLive && isLive(record, now)) || step >= MAX_GALLOP_STEPS) return { record, next: high + 1 }
      low = high
      lowRecord = record
      high = high * 2 + 1
    }
    // Binary search for the last existing generation in [low, high).
    while (high - low > 1) {
      const middle = (low + high) >>> 1
      const record = await read(middle)
      if (!record) high = middle
      else {
        if (stopAtLive && isLive(record, now)) return { record, next: middle + 1 }
        low = middle
        lowRecord = record
      }
    }
    return { record: lowRecord, next: low + 1 }
  }

  return {
    async register(key, identifier) {
      for (let attempt = 1; ; attempt++) {
        const { record: previous, next } = await latest(key, false)
        const now = clock()
        const live = previous !== undefined && isLive(previous, now)
        // A live key stays with its identifier: moving it would hand one caller's credential to
        // another. Once revoked or expired, the string may be registered to anyone.
        if (live && previous.subject !== identifier) return { ok: false, reason: 'identifier_conflict' }
        const id = await idOf(key, next)
        const record: APIKeyRecord = {
          id,
          keyHash: await hashOf(key),
          subject: identifier,
          name: JWTHENTICATOR_PROTOCOL,
          permissions: [],
          audience: options.audience.length > 0 ? [...options.audience] : null,
          metadata: { protocol: JWTHENTICATOR_PROTOCOL, generation: next },
          createdAt: now,
          expiresAt: now + keyExpiryMs,
          revokedAt: null,
          lastUsedAt: null,
        }
        try {
          await store.createAPIKey(record)
        } catch (error) {
          // The id exists: a concurrent registration took this generation. Anything else is real.
          if (AuthError.is(error) || attempt >= MAX_REGISTER_ATTEMPTS) throw error
          continue
        }
        emit({ type: 'key_created', keyId: id, subject: identifier, at: now })
        // Renewal: the previous generation ends, and with it its refresh tokens (the Python client
        // answers a 401 from /refresh by authenticating again with the same key).
        if (live) await apiKeys.revoke(previous.id)
        return { ok: true, record }
      }
    },
    async isRegistered(key) {
      const { record } = await latest(key, true)
      return record !== undefined && isLive(record, clock())
    },
    async authenticate(key, identifier) {
      const { record } = await latest(key, true)
      if (!record) return { ok: false, reason: 'unknown', keyId: null }
      // The id already proves knowledge of the key (it is an HMAC of it); the hash is compared
      // anyway, in constant time, so a record found by any other route cannot pass.
      if (!constantTimeEqual(await hashOf(key), record.keyHash)) {
        return { ok: false, reason: 'unknown', keyId: null }
      }
      const now = clock()
      if (record.revokedAt !== null) return { ok: false, reason: 'revoked', keyId: record.id }
      if (!isLive(record, now)) return { ok: false, reason: 'expired', keyId: record.id }
      if (record.subject !== identifier) return { ok: false, reason: 'identifier_mismatch', keyId: record.id }
      return { ok: true, record }
    },
    async live(id) {
      const record = await store.getAPIKey(id)
      return record && isLive(record, clock()) ? record : undefined
    },
  }
}
