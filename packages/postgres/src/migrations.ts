import type { Database } from './database.js'

/** One schema change. Never destructive: a migration only adds, so an older instance keeps working. */
export interface Migration {
  version: number
  name: string
  /** The statements, given the quoted schema name. */
  sql: (schema: string) => string
}

/**
 * Advisory-lock class for migrations (the lock's second half is the schema name's hash), so
 * several instances starting together on a fresh database apply each migration once, and two
 * deployments in different schemas do not wait for each other.
 */
const MIGRATION_LOCK_CLASS = 0x4b47_0001

/**
 * The migrations, in order. Times are epoch milliseconds in `bigint` (exactly what the issuer's
 * clock gives); lists and objects are `jsonb`. Ids use the "C" collation so ordering and
 * comparison are byte-wise — the same order as JavaScript's `<`, which keyset paging relies on.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'issuer store',
    sql: (s) => `
      CREATE TABLE ${s}.signing_key_ring (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        version bigint NOT NULL
      );
      INSERT INTO ${s}.signing_key_ring (singleton, version) VALUES (true, 0);
      CREATE TABLE ${s}.signing_keys (
        id text COLLATE "C" PRIMARY KEY,
        algorithm text NOT NULL,
        state text NOT NULL,
        public_jwk jsonb NOT NULL,
        sealed_private_key text NOT NULL,
        created_at bigint NOT NULL,
        activated_at bigint,
        retired_at bigint
      );
      CREATE TABLE ${s}.api_keys (
        id text COLLATE "C" PRIMARY KEY,
        key_hash text NOT NULL,
        subject text NOT NULL,
        name text NOT NULL,
        permissions jsonb NOT NULL,
        audience jsonb,
        metadata jsonb NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint,
        revoked_at bigint,
        last_used_at bigint
      );
      CREATE INDEX api_keys_subject_created_idx ON ${s}.api_keys (subject, created_at, id);
      CREATE INDEX api_keys_created_idx ON ${s}.api_keys (created_at, id);
      CREATE INDEX api_keys_revoked_at_idx ON ${s}.api_keys (revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE INDEX api_keys_expires_at_idx ON ${s}.api_keys (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE ${s}.refresh_tokens (
        id text COLLATE "C" PRIMARY KEY,
        token_hash text NOT NULL,
        family_id text COLLATE "C" NOT NULL,
        api_key_id text COLLATE "C",
        subject text NOT NULL,
        permissions jsonb NOT NULL,
        "groups" jsonb NOT NULL,
        audience jsonb NOT NULL,
        claims jsonb NOT NULL,
        data jsonb,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        consumed_at bigint,
        successor_id text COLLATE "C",
        revoked_at bigint
      );
      CREATE INDEX refresh_tokens_family_idx ON ${s}.refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_api_key_idx ON ${s}.refresh_tokens (api_key_id) WHERE api_key_id IS NOT NULL;
      CREATE INDEX refresh_tokens_expires_at_idx ON ${s}.refresh_tokens (expires_at);
    `,
  },
]

/** The schema version this code writes. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/**
 * Brings `schema` up to `LATEST_VERSION` in one transaction under an advisory lock: the first
 * instance applies what is missing, the others wait for it and then find nothing to do. Each
 * applied migration is recorded in `<schema>.migrations`. A database already at a newer version
 * (a newer release ran) is left alone.
 */
export async function migrate(
  db: Database,
  schemaName: string,
  quoted: string,
): Promise<{ from: number; to: number }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schemaName])
    // Looked up first: a schema prepared by a DBA needs no CREATE privilege on the database
    // (CREATE SCHEMA IF NOT EXISTS checks that privilege even when the schema exists).
    const { rows } = await tx.query<{ has_schema: boolean; has_table: boolean }>(
      'SELECT to_regnamespace($1) IS NOT NULL AS has_schema, to_regclass($2) IS NOT NULL AS has_table',
      [quoted, `${quoted}.migrations`],
    )
    if (!rows[0]?.has_schema) await tx.exec(`CREATE SCHEMA ${quoted}`)
    if (!rows[0]?.has_table) {
      await tx.exec(`
        CREATE TABLE ${quoted}.migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )
      `)
    }
    const current = await tx.query<{ version: number | string | null }>(
      `SELECT max(version) AS version FROM ${quoted}.migrations`,
    )
    const from = Number(current.rows[0]?.version ?? 0)
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue
      await tx.exec(migration.sql(quoted))
      await tx.query(`INSERT INTO ${quoted}.migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ])
    }
    return { from, to: Math.max(from, LATEST_VERSION) }
  })
}
