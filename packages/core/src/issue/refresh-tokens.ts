import { InvalidGrantError } from '../errors.js'
import type { Clock } from '../types.js'
import {
  formatCredential,
  generateCredential,
  generateId,
  parseCredential,
  REFRESH_TOKEN_PREFIX,
  SECRET_LENGTH,
} from './credential-format.js'
import { bytesToBase62, constantTimeEqual, sha256, sha256Sync } from './encoding.js'
import type { RevocationPublisher } from './revocation-sink.js'
import type { SecretBox } from './secret-box.js'
import type { IssuerStore, RefreshTokenRecord } from './store.js'
import type { IssuerEvent } from './types.js'

/** What a refresh token grants; the rest of the record is bookkeeping. */
export type RefreshGrant = Pick<
  RefreshTokenRecord,
  'apiKeyId' | 'subject' | 'permissions' | 'groups' | 'audience' | 'claims' | 'data'
>

export interface RefreshTokenService {
  /**
   * Issues the first token of a new family. The family id is known at once (the access token
   * carries it as `sid` and is signed while the token is being stored); `stored` settles when
   * the store has it.
   */
  issue(grant: RefreshGrant): {
    familyId: string
    stored: Promise<{ token: string; record: RefreshTokenRecord }>
  }
  /**
   * The record of a valid token: well-formed, known, matching hash, not revoked, not expired.
   * A consumed token is returned too (rotation decides what that means). Throws `InvalidGrantError`.
   */
  verify(token: string): Promise<RefreshTokenRecord>
  /**
   * Rotation: consumes `record` and returns its successor — the same successor again when the
   * predecessor is replayed within the grace window; after it, revokes the family and throws.
   */
  rotate(
    record: RefreshTokenRecord,
  ): Promise<{ token: string; record: RefreshTokenRecord; replayed: boolean }>
  /**
   * Revokes the family of a valid token; anything else is ignored (RFC 7009 §2.2). The family's
   * access tokens are denied through the `revocations` sink first: when that fails, nothing is
   * revoked and the call rejects (503), so a retry can still do both.
   */
  revoke(record: RefreshTokenRecord): Promise<void>
}

const invalid = () => new InvalidGrantError('The refresh token is invalid, expired or revoked')

export function createRefreshTokenService(options: {
  store: IssuerStore
  box: SecretBox
  clock: Clock
  ttlMs: number
  graceMs: number
  emit: (event: IssuerEvent) => void
  revocations: RevocationPublisher
}): RefreshTokenService {
  const { store, box, clock, ttlMs, graceMs, emit, revocations } = options

  /**
   * A successor's secret is HMAC(server key, predecessor id): the same predecessor always yields
   * the same successor, so a replay within the grace window can be answered identically while
   * the store keeps only hashes. Different ids give independent 256-bit secrets.
   */
  async function successorToken(predecessorId: string, successorId: string): Promise<string> {
    let secret = ''
    for (let block = 0; secret.length < SECRET_LENGTH; block++) {
      secret += bytesToBase62(
        await box.mac('refresh-successor', `${predecessorId}:${block}`),
        SECRET_LENGTH - secret.length,
      )
    }
    return formatCredential(REFRESH_TOKEN_PREFIX, successorId, secret)
  }

  function newRecord(
    id: string,
    grant: RefreshGrant,
    familyId: string | null,
    now: number,
    tokenHash: string,
  ): RefreshTokenRecord {
    return {
      apiKeyId: grant.apiKeyId,
      subject: grant.subject,
      permissions: grant.permissions,
      groups: grant.groups,
      audience: grant.audience,
      claims: grant.claims,
      data: grant.data,
      id,
      tokenHash,
      familyId: familyId ?? id,
      createdAt: now,
      // Sliding expiry: each rotation starts a fresh lifetime; the API key bounds the chain.
      expiresAt: now + ttlMs,
      consumedAt: null,
      successorId: null,
      revokedAt: null,
    }
  }

  return {
    issue(grant) {
      // First tokens are random; only successors are derived. The family id is the first
      // token's id: ~95 random bits, public like every credential id (the store finds the token
      // by it, the hash of the whole token decides), and no secret derives from it without the
      // issuer's encryptionKey. So access tokens may carry it as `sid`.
      const { id, credential } = generateCredential(REFRESH_TOKEN_PREFIX)
      const stored = (async () => {
        const hash = sha256Sync(credential) ?? (await sha256(credential))
        const record = newRecord(id, grant, null, clock(), hash)
        await store.createRefreshToken(record)
        return { token: credential, record }
      })()
      return { familyId: id, stored }
    },
    async verify(token) {
      const id = typeof token === 'string' ? parseCredential(REFRESH_TOKEN_PREFIX, token)?.id : undefined
      if (id === undefined) throw invalid()
      const record = await store.getRefreshToken(id)
      if (!record || !constantTimeEqual(sha256Sync(token) ?? (await sha256(token)), record.tokenHash))
        throw invalid()
      if (record.revokedAt !== null || clock() >= record.expiresAt) throw invalid()
      return record
    },
    async rotate(record) {
      let current: RefreshTokenRecord | undefined = record
      if (current.consumedAt === null) {
        const now = clock()
        const successorId = generateId()
        const token = await successorToken(record.id, successorId)
        const hash = sha256Sync(token) ?? (await sha256(token))
        const successor = newRecord(successorId, record, record.familyId, now, hash)
        const result = await store.consumeRefreshToken(record.id, now, successor)
        if (result.consumed) return { token, record: successor, replayed: false }
        // A concurrent request consumed it first: answer as a replay of that one.
        current = result.record
        if (!current || current.revokedAt !== null) throw invalid()
      }
      const now = clock()
      if (
        current.consumedAt !== null &&
        current.successorId !== null &&
        now - current.consumedAt <= graceMs
      ) {
        const successor = await store.getRefreshToken(current.successorId)
        if (successor && successor.revokedAt === null && now < successor.expiresAt) {
          return {
            token: await successorToken(current.id, current.successorId),
            record: successor,
            replayed: true,
          }
        }
      }
      // Reuse of a rotated token after the grace window: the token has leaked, or the client is
      // broken. Either way nobody can tell the legitimate holder from a thief, so the whole
      // family goes (RFC 9700 §4.14.2).
      await store.revokeRefreshFamily(current.familyId, now)
      emit({
        type: 'refresh_reuse',
        tokenId: current.id,
        familyId: current.familyId,
        subject: current.subject,
        keyId: current.apiKeyId,
        at: now,
      })
      // The family's live access tokens too. The refresh tokens are revoked already and the
      // answer is `invalid_grant` either way: a failure is reported (revocation_publish_failed).
      await revocations.family(current).catch(() => {})
      throw invalid()
    },
    async revoke(record) {
      await revocations.family(record)
      const now = clock()
      await store.revokeRefreshFamily(record.familyId, now)
      emit({ type: 'refresh_revoked', tokenId: record.id, familyId: record.familyId, at: now })
    },
  }
}
