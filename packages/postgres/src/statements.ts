/**
 * The store's SQL for one schema, built once. Every placeholder carries its type, so both
 * drivers send the same text and PostgreSQL never has to guess (a `jsonb` value goes in as JSON
 * text: node-postgres would otherwise turn a JavaScript array into a PostgreSQL array).
 */

type ColumnType = 'text' | 'bigint' | 'jsonb'

/** Columns with their types, in the order of the `*Params` functions in `rows.ts`. */
const SIGNING_KEY_COLUMNS: [string, ColumnType][] = [
  ['id', 'text'],
  ['algorithm', 'text'],
  ['state', 'text'],
  ['public_jwk', 'jsonb'],
  ['sealed_private_key', 'text'],
  ['created_at', 'bigint'],
  ['activated_at', 'bigint'],
  ['retired_at', 'bigint'],
]
const API_KEY_COLUMNS: [string, ColumnType][] = [
  ['id', 'text'],
  ['key_hash', 'text'],
  ['subject', 'text'],
  ['name', 'text'],
  ['permissions', 'jsonb'],
  ['audience', 'jsonb'],
  ['metadata', 'jsonb'],
  ['created_at', 'bigint'],
  ['expires_at', 'bigint'],
  ['revoked_at', 'bigint'],
  ['last_used_at', 'bigint'],
]
const REFRESH_TOKEN_COLUMNS: [string, ColumnType][] = [
  ['id', 'text'],
  ['token_hash', 'text'],
  ['family_id', 'text'],
  ['api_key_id', 'text'],
  ['subject', 'text'],
  ['permissions', 'jsonb'],
  ['"groups"', 'jsonb'],
  ['audience', 'jsonb'],
  ['claims', 'jsonb'],
  ['data', 'jsonb'],
  ['created_at', 'bigint'],
  ['expires_at', 'bigint'],
  ['consumed_at', 'bigint'],
  ['successor_id', 'text'],
  ['revoked_at', 'bigint'],
]

const names = (columns: [string, ColumnType][]) => columns.map(([name]) => name).join(', ')
/** `$1::text, $2::text::jsonb, …` from `first` on. */
const placeholders = (columns: [string, ColumnType][], first = 1) =>
  columns.map(([, type], i) => `$${first + i}::${type === 'jsonb' ? 'text::jsonb' : type}`).join(', ')

/** Rows deleted per statement by a purge, so no single delete holds locks for long. */
export const PURGE_BATCH = 5000

export type Statements = ReturnType<typeof statements>

export function statements(s: string) {
  const ring = `${s}.signing_key_ring`
  const keys = `${s}.signing_keys`
  const apiKeys = `${s}.api_keys`
  const tokens = `${s}.refresh_tokens`
  const tokenColumns = names(REFRESH_TOKEN_COLUMNS)
  return {
    ping: 'SELECT 1',
    // One statement, one snapshot: the version always matches the keys read with it.
    getSigningKeys: `SELECT r.version AS ring_version, k.* FROM ${ring} r LEFT JOIN ${keys} k ON true ORDER BY k.created_at, k.id`,
    // The row lock on the ring serialises concurrent writers; a writer that waited re-checks the
    // version after the winner commits and updates nothing (READ COMMITTED re-evaluates WHERE).
    bumpVersion: `UPDATE ${ring} SET version = version + 1 WHERE version = $1::bigint`,
    putSigningKey: `INSERT INTO ${keys} (${names(SIGNING_KEY_COLUMNS)}) VALUES (${placeholders(SIGNING_KEY_COLUMNS)})
      ON CONFLICT (id) DO UPDATE SET ${SIGNING_KEY_COLUMNS.slice(1)
        .map(([name]) => `${name} = EXCLUDED.${name}`)
        .join(', ')}`,
    deleteSigningKeys: `DELETE FROM ${keys} WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb))`,

    createAPIKey: `INSERT INTO ${apiKeys} (${names(API_KEY_COLUMNS)}) VALUES (${placeholders(API_KEY_COLUMNS)})`,
    getAPIKey: `SELECT * FROM ${apiKeys} WHERE id = $1::text`,
    /** Keyset page: conditions are appended by the caller, then `ORDER BY created_at, id`. */
    listAPIKeys: `SELECT * FROM ${apiKeys}`,
    apiKeyCursor: `(created_at, id) > (SELECT created_at, id FROM ${apiKeys} WHERE id = $N::text)`,
    revokeAPIKey: `UPDATE ${apiKeys} SET revoked_at = coalesce(revoked_at, $2::bigint) WHERE id = $1::text RETURNING *`,
    touchAPIKey: `UPDATE ${apiKeys} SET last_used_at = $2::bigint
      WHERE id = $1::text AND (last_used_at IS NULL OR last_used_at < $2::bigint)`,

    createRefreshToken: `INSERT INTO ${tokens} (${tokenColumns}) VALUES (${placeholders(REFRESH_TOKEN_COLUMNS)})`,
    getRefreshToken: `SELECT * FROM ${tokens} WHERE id = $1::text`,
    // One statement: the predecessor is marked and the successor inserted together or not at
    // all. Concurrent consumers queue on the predecessor's row lock; after the winner commits,
    // the others re-check `consumed_at IS NULL`, match nothing and insert nothing.
    consumeRefreshToken: `WITH consumed AS (
        UPDATE ${tokens} SET consumed_at = $1::bigint, successor_id = $2::text
        WHERE id = $3::text AND consumed_at IS NULL AND revoked_at IS NULL
        RETURNING id
      )
      INSERT INTO ${tokens} (${tokenColumns})
      SELECT ${placeholders(REFRESH_TOKEN_COLUMNS, 4)} FROM consumed`,
    revokeRefreshToken: `UPDATE ${tokens} SET revoked_at = $2::bigint WHERE id = $1::text AND revoked_at IS NULL`,
    revokeRefreshFamily: `UPDATE ${tokens} SET revoked_at = $2::bigint WHERE family_id = $1::text AND revoked_at IS NULL`,
    revokeRefreshTokensOfAPIKey: `UPDATE ${tokens} SET revoked_at = $2::bigint
      WHERE api_key_id = $1::text AND revoked_at IS NULL`,

    deleteExpiredRefreshTokens: `DELETE FROM ${tokens} WHERE id IN (
        SELECT id FROM ${tokens} WHERE expires_at < $1::bigint LIMIT ${PURGE_BATCH}
      )`,
    deleteDeadAPIKeys: `DELETE FROM ${apiKeys} WHERE id IN (
        SELECT id FROM ${apiKeys} WHERE revoked_at < $1::bigint OR expires_at < $1::bigint LIMIT ${PURGE_BATCH}
      )`,
  }
}
