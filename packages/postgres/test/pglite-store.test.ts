import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { issuerStoreContract } from '@keygate/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPGliteStore, type PostgresIssuerStore, type PostgresStoreEvent } from '../src/index.js'
import { purgeCases } from './purge-cases.js'

// Starting PGlite runs initdb in WebAssembly: seconds on an idle machine, far more on a loaded
// one. Each instance here is created once per file and shared; the limits allow for the load.
const START_TIMEOUT = 240_000

describe('createPGliteStore in memory', () => {
  let db: PGlite
  let store: PostgresIssuerStore
  beforeAll(async () => {
    db = await PGlite.create()
    store = await createPGliteStore({ db, purgeEvery: false })
  }, START_TIMEOUT)
  afterAll(async () => {
    await store?.close()
    await db?.close()
  })

  describe('IssuerStore contract', () => {
    // One store for every case: the cases use random ids, and sharing it is what a deployment does.
    for (const c of issuerStoreContract(() => store)) it(c.name, c.run)
  })

  describe('purge', () => {
    const schema = () => `purge_${Math.random().toString(36).slice(2, 10)}`
    for (const c of purgeCases((options) => createPGliteStore({ db, schema: schema(), ...options }))) {
      it(c.name, c.run)
    }
  })

  it('a store on a PGlite it was given leaves it open on close', async () => {
    const other = await createPGliteStore({ db, schema: 'given', purgeEvery: false })
    await other.close()
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1)
    await store.ping()
  })
})

describe('createPGliteStore with a dataDir', () => {
  let dir: string
  let first: PostgresIssuerStore
  const events: PostgresStoreEvent[] = []
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keygate-pglite-'))
    first = await createPGliteStore({ dataDir: dir, purgeEvery: false, onEvent: (e) => events.push(e) })
  }, START_TIMEOUT)
  afterAll(async () => {
    await first?.close()
    await rm(dir, { recursive: true, force: true })
  })

  describe('IssuerStore contract', () => {
    for (const c of issuerStoreContract(() => first)) it(c.name, c.run)
  })

  it(
    'keeps everything across a close and reopen, and does not migrate again',
    async () => {
      expect(events).toMatchObject([{ type: 'migrated', from: 0 }])
      const ring = await first.getSigningKeys()
      const keys = await first.listAPIKeys()
      expect(ring.keys.length).toBeGreaterThan(0)
      expect(keys.length).toBeGreaterThan(0)
      await first.close()

      const again: PostgresStoreEvent[] = []
      const second = await createPGliteStore({
        dataDir: dir,
        purgeEvery: false,
        onEvent: (e) => again.push(e),
      })
      try {
        expect(await second.getSigningKeys()).toEqual(ring)
        expect(await second.listAPIKeys()).toEqual(keys)
        expect(again).toEqual([])
      } finally {
        await second.close()
      }
    },
    START_TIMEOUT,
  )
})
