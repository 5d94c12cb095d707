import { ConfigurationError, StoreUnavailableError } from '../errors.js'
import type { Clock } from '../types.js'
import { RING_REFRESH_MS } from './key-ring.js'
import type { RefreshTokenRecord } from './store.js'
import type { IssuerEvent } from './types.js'

/**
 * What the issuer asks a revocation sink to deny, so verifiers refuse access tokens that are
 * still within their `exp`: every token of a refresh-token family (its `sid` claim) or of an API
 * key (its `client_id` claim), issued up to now. Shaped like `@keygate/redis`'s `revoke` input.
 */
export interface IssuerRevocation {
  /** `family`: tokens whose `sid` is `value`. `client`: tokens whose `client_id` is `value`. */
  kind: 'family' | 'client'
  value: string
  /**
   * When the entry may go (ms since the epoch): every access token it covers has expired by
   * then, with `REVOCATION_MARGIN_MS` to spare for verifiers' clock tolerance.
   */
  expiresAt: number
}

/**
 * Where the issuer publishes revocations of live access tokens: a refresh-token family revoked
 * (`/revoke`, `revokeRefreshToken`, session logout, reuse detection) or an API key revoked.
 * `createRedisRevocationList` from `@keygate/redis` is one; anything with `revoke` qualifies.
 * A rejection is reported (`revocation_publish_failed`) and, where the caller can retry, answered
 * with 503 before anything is revoked in the store.
 */
export interface RevocationSink {
  revoke(revocation: IssuerRevocation): void | Promise<void>
}

/** Verifiers accept a token until `exp` + their clock tolerance (60 s by default): five minutes covers it. */
export const REVOCATION_MARGIN_MS = 300_000

export interface RevocationPublisher {
  /** Denies every access token of the record's family; rejects with `StoreUnavailableError`. */
  family(record: RefreshTokenRecord): Promise<void>
  /** Denies every access token an API key obtained; rejects with `StoreUnavailableError`. */
  client(keyId: string): Promise<void>
}

/** Checks the `revocations` option once, at construction. */
export function resolveRevocationSink(value: unknown): RevocationSink | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof (value as RevocationSink).revoke !== 'function') {
    throw new ConfigurationError('revocations must be an object with a revoke(revocation) function')
  }
  return value as RevocationSink
}

export function createRevocationPublisher(options: {
  sink: RevocationSink | undefined
  clock: Clock
  emit: (event: IssuerEvent) => void
  accessTtlMs: number
  /** The longest lifetime `createToken({ expiresIn })` accepts. */
  directMaxTtlMs: number
}): RevocationPublisher {
  const { sink, clock, emit, accessTtlMs } = options
  // `createToken` may give its first access token a lifetime of its own (up to retireAfter − 1 min);
  // families from `/token` only ever get `accessTokenTtl`.
  const directMaxTtlMs = Math.max(accessTtlMs, options.directMaxTtlMs)

  async function publish(kind: IssuerRevocation['kind'], value: string, lifetimeMs: number): Promise<void> {
    if (sink === undefined) return
    const now = clock()
    try {
      await sink.revoke({ kind, value, expiresAt: now + lifetimeMs + REVOCATION_MARGIN_MS })
    } catch (error) {
      emit({ type: 'revocation_publish_failed', kind, value, at: now })
      throw new StoreUnavailableError('The revocation could not be published to verifiers', 5, {
        cause: error,
      })
    }
  }

  return {
    family: (record) =>
      publish('family', record.familyId, record.apiKeyId === null ? directMaxTtlMs : accessTtlMs),
    client: (keyId) => publish('client', keyId, accessTtlMs),
  }
}

/** The longest lifetime `createToken({ expiresIn })` accepts, given `signing.retireAfter`. */
export function directMaxTtl(retireAfterMs: number): number {
  return retireAfterMs - RING_REFRESH_MS
}
