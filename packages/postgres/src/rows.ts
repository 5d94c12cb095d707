import type { APIKeyRecord, RefreshTokenRecord, SigningKeyRecord } from '@keygate/core'

/**
 * Rows to records. `bigint` columns arrive as strings from node-postgres and as numbers from
 * PGlite; epoch milliseconds are far below 2^53, so `Number` is exact. `jsonb` arrives parsed
 * from both, unless an application installed its own type parser on a pool it passed in.
 */
type Row = Record<string, unknown>

const time = (value: unknown): number => Number(value)
const timeOrNull = (value: unknown): number | null => (value === null ? null : Number(value))
const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T

/** A parameter for a `$n::text::jsonb` placeholder: JSON text, or SQL NULL. */
export const toJSON = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value)

export function toSigningKey(row: Row): SigningKeyRecord {
  return {
    id: row.id as string,
    algorithm: row.algorithm as SigningKeyRecord['algorithm'],
    state: row.state as SigningKeyRecord['state'],
    publicJwk: json(row.public_jwk),
    sealedPrivateKey: row.sealed_private_key as string,
    createdAt: time(row.created_at),
    activatedAt: timeOrNull(row.activated_at),
    retiredAt: timeOrNull(row.retired_at),
  }
}

export function toAPIKey(row: Row): APIKeyRecord {
  return {
    id: row.id as string,
    keyHash: row.key_hash as string,
    subject: row.subject as string,
    name: row.name as string,
    permissions: json(row.permissions),
    audience: row.audience === null ? null : json(row.audience),
    metadata: json(row.metadata),
    createdAt: time(row.created_at),
    expiresAt: timeOrNull(row.expires_at),
    revokedAt: timeOrNull(row.revoked_at),
    lastUsedAt: timeOrNull(row.last_used_at),
  }
}

export function toRefreshToken(row: Row): RefreshTokenRecord {
  return {
    id: row.id as string,
    tokenHash: row.token_hash as string,
    familyId: row.family_id as string,
    apiKeyId: row.api_key_id as string | null,
    subject: row.subject as string,
    permissions: json(row.permissions),
    groups: json(row.groups),
    audience: json(row.audience),
    claims: json(row.claims),
    data: row.data === null ? null : json(row.data),
    createdAt: time(row.created_at),
    expiresAt: time(row.expires_at),
    consumedAt: timeOrNull(row.consumed_at),
    successorId: row.successor_id as string | null,
    revokedAt: timeOrNull(row.revoked_at),
  }
}

/** The parameters of a signing-key row, in `SIGNING_KEY_COLUMNS` order. */
export function signingKeyParams(r: SigningKeyRecord): unknown[] {
  return [
    r.id,
    r.algorithm,
    r.state,
    toJSON(r.publicJwk),
    r.sealedPrivateKey,
    r.createdAt,
    r.activatedAt,
    r.retiredAt,
  ]
}

/** The parameters of an API key row, in `API_KEY_COLUMNS` order. */
export function apiKeyParams(r: APIKeyRecord): unknown[] {
  return [
    r.id,
    r.keyHash,
    r.subject,
    r.name,
    toJSON(r.permissions),
    toJSON(r.audience),
    toJSON(r.metadata),
    r.createdAt,
    r.expiresAt,
    r.revokedAt,
    r.lastUsedAt,
  ]
}

/** The parameters of a refresh-token row, in `REFRESH_TOKEN_COLUMNS` order. */
export function refreshTokenParams(r: RefreshTokenRecord): unknown[] {
  return [
    r.id,
    r.tokenHash,
    r.familyId,
    r.apiKeyId,
    r.subject,
    toJSON(r.permissions),
    toJSON(r.groups),
    toJSON(r.audience),
    toJSON(r.claims),
    toJSON(r.data),
    r.createdAt,
    r.expiresAt,
    r.consumedAt,
    r.successorId,
    r.revokedAt,
  ]
}
