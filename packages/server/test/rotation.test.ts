/**
 * Two server processes on one PostgreSQL schema, rotating signing keys every two seconds under
 * load: the store never holds two `current` keys, and every token either instance signs
 * verifies against the other instance's JWKS (and its /validate) fetched right after.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createPostgresStore, type PostgresIssuerStore } from '@keygate/postgres'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_TOKEN,
  DATABASE_URL,
  dropSchema,
  poll,
  productionEnv,
  type ServerProcess,
  startProcess,
  uniqueSchema,
} from './harness.js'

const ROTATIONS = 3
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

const suite = DATABASE_URL ? describe : describe.skip
suite('two keygate-server processes rotating keys on one PostgreSQL', () => {
  const schema = uniqueSchema('rotation')
  const servers: ServerProcess[] = []
  let store: PostgresIssuerStore

  beforeAll(async () => {
    const env = productionEnv({
      database: { url: DATABASE_URL!, schema },
      extra: {
        KEYGATE_LOG_LEVEL: 'info',
        KEYGATE_SIGNING_ALGORITHM: 'EdDSA',
        KEYGATE_ROTATE_EVERY: '2s',
        KEYGATE_PUBLISH_AHEAD: '1s',
        KEYGATE_ACCESS_TOKEN_TTL: '10s',
        JWT_LEASE_TIME: '10',
        KEYGATE_RETIRE_AFTER: '75s',
      },
    })
    // The first creates the schema; the second starts on it.
    servers.push(await startProcess(env))
    servers.push(await startProcess(env))
    store = await createPostgresStore({ connectionString: DATABASE_URL!, schema, purgeEvery: false })
  })
  afterAll(async () => {
    for (const server of servers) expect(await server.stop()).toBe(0)
    await store?.close()
    await dropSchema(schema)
  })

  it('never has two current keys, and each token verifies on the other instance', async () => {
    const [a, b] = servers.map((s) => s.url) as [string, string]
    const created = await fetch(`${a}/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({ subject: 'svc-rotation', name: 'rotation' }),
    })
    const { id, key } = (await created.json()) as { id: string; key: string }
    const basic = `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`
    const caller = { key: randomBytes(16).toString('hex'), identifier: randomUUID() }
    const registered = await fetch(`${b}/register_key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify(caller),
    })
    expect(registered.status).toBe(201)

    const kids = new Set<string>()
    const failures: string[] = []
    let tokens = 0
    let running = true
    let snapshots = 0
    let maxCurrent = 0
    const watchStore = async () => {
      while (running) {
        const ring = await store.getSigningKeys()
        maxCurrent = Math.max(maxCurrent, ring.keys.filter((k) => k.state === 'current').length)
        snapshots++
      }
    }
    const worker = async (issuer: string, verifier: string) => {
      while (running) {
        const response = await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
          body: 'grant_type=client_credentials',
        })
        if (response.status !== 200) {
          failures.push(`/token ${response.status}`)
          continue
        }
        const { access_token: token } = (await response.json()) as { access_token: string }
        kids.add(decodeProtectedHeader(token).kid!)
        const jwks = await (await fetch(`${verifier}/.well-known/jwks.json`)).json()
        try {
          await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'http://127.0.0.1' })
        } catch (error) {
          failures.push(`JWKS of the other instance: ${(error as { code?: string }).code}`)
        }
        // JWThenticator's callers: a JWT from one instance validates on the other.
        const auth = await fetch(`${issuer}/authenticate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(caller),
        })
        if (auth.status !== 200) {
          failures.push(`/authenticate ${auth.status}`)
          continue
        }
        const { jwt } = (await auth.json()) as { jwt: string }
        kids.add(decodeProtectedHeader(jwt).kid!)
        const validated = await fetch(`${verifier}/validate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jwt }),
        })
        if (validated.status !== 200) failures.push(`/validate on the other instance ${validated.status}`)
        tokens++
      }
    }
    const load = Promise.all([watchStore(), worker(a, b), worker(b, a), worker(a, b), worker(b, a)])
    try {
      await poll(`${ROTATIONS} rotations`, () => kids.size > ROTATIONS, 20_000)
    } finally {
      running = false
      await load
    }
    expect(failures).toEqual([])
    expect(tokens).toBeGreaterThan(20)
    expect(snapshots).toBeGreaterThan(10)
    expect(maxCurrent).toBe(1)
  })
})
