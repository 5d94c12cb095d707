import { createIssuer, StoreUnavailableError } from '@keygate/core'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresStore, type PostgresIssuerStore } from '../src/index.js'
import { DATABASE_URL, dropSchemas, uniqueSchema } from './helpers.js'
import { closedPort, startTCPProxy } from './tcp-proxy.js'

const schemas: string[] = []
afterAll(() => dropSchemas(...schemas))
const fresh = (tag: string) => {
  const schema = uniqueSchema(tag)
  schemas.push(schema)
  return schema
}

/** DATABASE_URL with its host and port replaced by 127.0.0.1:`port`. */
function via(port: number): string {
  const url = new URL(DATABASE_URL!)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return url.toString()
}

async function unavailable(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StoreUnavailableError)
  expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 })
  const { retryAfter } = error as StoreUnavailableError
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(2)
}

const ADMIN_TOKEN = 'outage-test-admin-token-0123456789abcdef'
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

describe.skipIf(!DATABASE_URL)('createPostgresStore when the database goes away', () => {
  it('rejects with ERR_STORE_UNAVAILABLE (the issuer answers 503) while down and recovers by itself', async () => {
    const target = new URL(DATABASE_URL!)
    const proxy = await startTCPProxy({ host: target.hostname, port: Number(target.port || 5432) })
    let store: PostgresIssuerStore | undefined
    try {
      store = await createPostgresStore({
        connectionString: via(proxy.port),
        schema: fresh('outage'),
        purgeEvery: false,
      })
      const issuer = createIssuer({
        issuer: 'https://auth.example',
        audience: 'https://api.example',
        store,
        encryptionKey: 'outage-test-encryption-key-0123456789abcdef',
        adminToken: ADMIN_TOKEN,
      })
      const { id } = await issuer.apiKeys.create({ subject: 'svc', name: 'n' })
      const list = () => issuer.handle(new Request('https://auth.example/admin/api-keys', { headers: admin }))
      expect((await list()).status).toBe(200)

      proxy.down()
      // Pooled connections were cut and new ones are refused: every kind of call fails the same way.
      for (let i = 0; i < 3; i += 1) {
        await unavailable(store.ping())
        await unavailable(store.getAPIKey(id))
        await unavailable(store.getSigningKeys().then((ring) => store!.updateSigningKeys(ring.version, {})))
        await unavailable(store.revokeRefreshFamily('f', 1))
        await unavailable(store.purge())
      }
      const response = await list()
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(await response.json()).toMatchObject({
        error: 'temporarily_unavailable',
        code: 'ERR_STORE_UNAVAILABLE',
      })

      proxy.up()
      // No restart: the pool opens fresh connections on the next checkout.
      await store.ping()
      expect((await store.getAPIKey(id))?.id).toBe(id)
      const { version } = await store.getSigningKeys()
      expect(await store.updateSigningKeys(version, {})).toBe(true)
      expect((await list()).status).toBe(200)
    } finally {
      await store?.close()
      await proxy.close()
    }
  })

  it('a stalled network (connection timeout) is a 503 too', async () => {
    const target = new URL(DATABASE_URL!)
    const proxy = await startTCPProxy({ host: target.hostname, port: Number(target.port || 5432) })
    const pool = new pg.Pool({ connectionString: via(proxy.port), connectionTimeoutMillis: 300 })
    pool.on('error', () => {})
    try {
      const store = await createPostgresStore({ pool, schema: fresh('stall'), purgeEvery: false })
      proxy.hang()
      await unavailable(store.ping())
      await unavailable(store.getSigningKeys().then((ring) => store.updateSigningKeys(ring.version, {})))
      proxy.up()
      await store.ping()
      await store.close()
    } finally {
      await pool.end()
      await proxy.close()
    }
  })

  it('a database that cannot be reached at start rejects the factory with ERR_STORE_UNAVAILABLE', async () => {
    const url = via(await closedPort())
    await unavailable(
      createPostgresStore({ connectionString: url, schema: fresh('refused'), purgeEvery: false }),
    )
  })
})
