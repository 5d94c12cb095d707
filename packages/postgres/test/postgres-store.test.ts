import { issuerStoreContract } from '@keygate/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createPostgresStore,
  type PostgresIssuerStore,
  type PostgresStoreEvent,
  SCHEMA_VERSION,
} from '../src/index.js'
import { DATABASE_URL, dropSchemas, uniqueSchema } from './helpers.js'
import { purgeCases } from './purge-cases.js'

const schemas: string[] = []
const fresh = (tag: string) => {
  const schema = uniqueSchema(tag)
  schemas.push(schema)
  return schema
}
afterAll(() => dropSchemas(...schemas))

describe.skipIf(!DATABASE_URL)('createPostgresStore: IssuerStore contract on PostgreSQL', () => {
  let store: PostgresIssuerStore
  beforeAll(async () => {
    store = await createPostgresStore({
      connectionString: DATABASE_URL,
      schema: fresh('contract'),
      purgeEvery: false,
    })
  })
  afterAll(() => store?.close())
  for (const c of issuerStoreContract(() => store)) it(c.name, c.run)
})

describe.skipIf(!DATABASE_URL)('createPostgresStore: migrations', () => {
  it('five instances starting together on a fresh schema migrate it exactly once', async () => {
    const schema = fresh('migrate')
    const events: PostgresStoreEvent[] = []
    const stores = await Promise.all(
      Array.from({ length: 5 }, () =>
        createPostgresStore({
          connectionString: DATABASE_URL,
          schema,
          purgeEvery: false,
          onEvent: (e) => events.push(e),
        }),
      ),
    )
    try {
      const migrated = events.filter((e) => e.type === 'migrated')
      expect(migrated).toEqual([{ type: 'migrated', schema, from: 0, to: SCHEMA_VERSION }])
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
      try {
        const { rows } = await pool.query(`SELECT version FROM "${schema}".migrations ORDER BY version`)
        expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1))
      } finally {
        await pool.end()
      }
      // Every instance works on the one schema: a write through one is read through another.
      const { version } = await stores[0]!.getSigningKeys()
      expect(version).toBe(0)
      for (const s of stores) await s.ping()
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })

  it('uses a pool it is given and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
    try {
      const store = await createPostgresStore({ pool, schema: fresh('pool'), purgeEvery: false })
      await store.close()
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1)
    } finally {
      await pool.end()
    }
  })
})

describe.skipIf(!DATABASE_URL)('createPostgresStore: purge', () => {
  for (const c of purgeCases((options) =>
    createPostgresStore({ connectionString: DATABASE_URL, schema: fresh('purge'), ...options }),
  )) {
    it(c.name, c.run)
  }
})
