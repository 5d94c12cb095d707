import { type APIKeyListFilter, type ConsumeResult, type IssuerStore, toMs } from '@keygate/core'
import type { Database } from './database.js'
import { migrate } from './migrations.js'
import {
  apiKeyParams,
  refreshTokenParams,
  signingKeyParams,
  toAPIKey,
  toJSON,
  toRefreshToken,
  toSigningKey,
} from './rows.js'
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js'
import { PURGE_BATCH, statements } from './statements.js'
import type { PostgresIssuerStore, PostgresStoreEvent, StoreOptions } from './types.js'

/** Purge once an hour: tables stay bounded, and the cost is a few index range scans. */
export const DEFAULT_PURGE_EVERY = '1h'
/** Revoked and expired API keys stay listed this long, so an admin can still see what happened. */
export const DEFAULT_API_KEY_RETENTION = '30d'

type Row = Record<string, unknown>

/** Unique-key violation: a duplicate id, which the contract says must reject. */
const UNIQUE_VIOLATION = '23505'

/** The caller's error for a duplicate id, with the driver's as `cause`; anything else unchanged. */
function duplicate(error: unknown, what: string): unknown {
  if ((error as { code?: unknown } | null)?.code !== UNIQUE_VIOLATION) return error
  return new Error(`${what} id already exists`, { cause: error })
}

/**
 * The store over either driver: migrates `schema`, then answers every `IssuerStore` method with
 * the SQL in `statements.ts`, and runs the purge schedule. The factories only build the
 * `Database` and call this.
 */
export async function createSQLIssuerStore(
  db: Database,
  options: StoreOptions,
): Promise<PostgresIssuerStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA
  const quoted = quoteSchema(schema)
  const clock = options.clock ?? Date.now
  const purgeEvery =
    options.purgeEvery === false ? false : toMs(options.purgeEvery ?? DEFAULT_PURGE_EVERY, 'purgeEvery')
  const retention = toMs(options.apiKeyRetention ?? DEFAULT_API_KEY_RETENTION, 'apiKeyRetention')
  const emit = (event: PostgresStoreEvent) => {
    try {
      options.onEvent?.(event)
    } catch {
      // A listener's failure is not the store's: purges and requests go on.
    }
  }

  const { from, to } = await migrate(db, schema, quoted)
  if (to !== from) emit({ type: 'migrated', schema, from, to })
  const sql = statements(quoted)

  /** Runs a batched delete until a batch comes back short; returns the total. */
  async function deleteInBatches(text: string, before: number): Promise<number> {
    let total = 0
    for (;;) {
      const { rowCount } = await db.query(text, [before])
      total += rowCount
      if (rowCount < PURGE_BATCH) return total
    }
  }

  async function revoked(text: string, id: string, at: number): Promise<number> {
    return (await db.query(text, [id, at])).rowCount
  }

  const store: IssuerStore = {
    async getSigningKeys() {
      const { rows } = await db.query<Row>(sql.getSigningKeys)
      return {
        version: Number(rows[0]?.ring_version ?? 0),
        keys: rows.filter((row) => row.id !== null).map(toSigningKey),
      }
    },
    async updateSigningKeys(expectedVersion, changes) {
      return db.transaction(async (tx) => {
        if ((await tx.query(sql.bumpVersion, [expectedVersion])).rowCount !== 1) return false
        for (const record of changes.put ?? []) await tx.query(sql.putSigningKey, signingKeyParams(record))
        if (changes.delete?.length) await tx.query(sql.deleteSigningKeys, [toJSON(changes.delete)])
        return true
      })
    },
    async createAPIKey(record) {
      await db.query(sql.createAPIKey, apiKeyParams(record)).catch((error: unknown) => {
        throw duplicate(error, 'API key')
      })
    },
    async getAPIKey(id) {
      const { rows } = await db.query<Row>(sql.getAPIKey, [id])
      return rows[0] && toAPIKey(rows[0])
    },
    async listAPIKeys(filter: APIKeyListFilter = {}) {
      const params: unknown[] = []
      const where: string[] = []
      if (filter.subject !== undefined) {
        params.push(filter.subject)
        where.push(`subject = $${params.length}::text`)
      }
      if (filter.after !== undefined) {
        params.push(filter.after)
        where.push(sql.apiKeyCursor.replace('$N', `$${params.length}`))
      }
      let text = sql.listAPIKeys
      if (where.length > 0) text += ` WHERE ${where.join(' AND ')}`
      text += ' ORDER BY created_at, id'
      if (filter.limit !== undefined) {
        params.push(filter.limit)
        text += ` LIMIT $${params.length}::bigint`
      }
      return (await db.query<Row>(text, params)).rows.map(toAPIKey)
    },
    async revokeAPIKey(id, at) {
      const { rows } = await db.query<Row>(sql.revokeAPIKey, [id, at])
      return rows[0] && toAPIKey(rows[0])
    },
    async touchAPIKey(id, at) {
      await db.query(sql.touchAPIKey, [id, at])
    },
    async createRefreshToken(record) {
      await db.query(sql.createRefreshToken, refreshTokenParams(record)).catch((error: unknown) => {
        throw duplicate(error, 'refresh token')
      })
    },
    async getRefreshToken(id) {
      const { rows } = await db.query<Row>(sql.getRefreshToken, [id])
      return rows[0] && toRefreshToken(rows[0])
    },
    async consumeRefreshToken(id, at, successor): Promise<ConsumeResult> {
      const { rowCount } = await db
        .query(sql.consumeRefreshToken, [at, successor.id, id, ...refreshTokenParams(successor)])
        .catch((error: unknown) => {
          throw duplicate(error, 'refresh token')
        })
      if (rowCount === 1) return { consumed: true }
      // Read after the winner committed: a loser sees the winning successor.
      return { consumed: false, record: await store.getRefreshToken(id) }
    },
    async revokeRefreshToken(id, at) {
      await revoked(sql.revokeRefreshToken, id, at)
    },
    revokeRefreshFamily: (familyId, at) => revoked(sql.revokeRefreshFamily, familyId, at),
    revokeRefreshTokensOfAPIKey: (apiKeyId, at) => revoked(sql.revokeRefreshTokensOfAPIKey, apiKeyId, at),
    deleteExpiredRefreshTokens: (before) => deleteInBatches(sql.deleteExpiredRefreshTokens, before),
  }

  async function purge(now = clock()) {
    const refreshTokens = await deleteInBatches(sql.deleteExpiredRefreshTokens, now)
    const apiKeys = await deleteInBatches(sql.deleteDeadAPIKeys, now - retention)
    return { refreshTokens, apiKeys }
  }

  let timer: ReturnType<typeof setInterval> | undefined
  let purging = false
  if (purgeEvery !== false) {
    timer = setInterval(() => {
      // One purge at a time: a slow one is not stacked on by the next tick.
      if (purging) return
      purging = true
      const at = clock()
      purge(at)
        .then((counts) => emit({ type: 'purged', ...counts, at }))
        .catch((error: unknown) => emit({ type: 'purge_failed', error, at }))
        .finally(() => {
          purging = false
        })
    }, purgeEvery)
    // The schedule never keeps a process alive on its own.
    timer.unref?.()
  }

  return {
    ...store,
    schema,
    async ping() {
      await db.query(sql.ping)
    },
    purge,
    async close() {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      await db.close()
    },
  }
}
