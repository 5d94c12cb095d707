import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createIssuer, createMemoryIssuerStore, type Issuer } from '@keygate/core'
import { sendIssuerResponse, toIssuerRequest } from '@keygate/core/http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisRevocationList, type RedisRevocationList } from '../src/index.js'
import {
  connect,
  describeRedis,
  dropPrefix,
  REDIS_URL,
  type TestRedisClient,
  uniquePrefix,
} from './redis-env.js'
import { startWorker, type Worker } from './workers.js'

// Issue 14: Keygate's own issuer revokes a refresh-token family or an API key, and every
// verifier process refuses the live access tokens within a second, through the Redis list.
const PROCESSES = 3
const AUDIENCE = 'https://orders.internal'
const prefix = uniquePrefix('issuer-revocation')
let client: TestRedisClient
let revocations: RedisRevocationList
let issuer: Issuer
let server: Server
let url: string
let workers: Worker[] = []
// Strictly increasing, so a replay always comes after the (zero) grace window, whatever the timing.
let last = 0
const clock = () => {
  last = Math.max(Date.now(), last + 1)
  return last
}

async function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? {} : JSON.parse(text) }
}

const basic = (id: string, key: string) => ({ authorization: `Basic ${btoa(`${id}:${key}`)}` })

/** Every worker accepts the token (twice: the second answer comes from its token cache). */
async function acceptedEverywhere(token: string): Promise<void> {
  for (let round = 0; round < 2; round++) {
    const results = await Promise.all(workers.map((worker) => worker.call('verify', { token })))
    expect(results).toEqual(Array.from({ length: PROCESSES }, () => ({ ok: true })))
  }
}

/** Runs `revoke` while every worker polls its own verifier; each must refuse within a second. */
async function refusedEverywhereWithinASecond(token: string, revoke: () => Promise<void>): Promise<void> {
  const watching = workers.map((worker) =>
    worker.call<{ seenAt: number | null }>('watchRevoked', { token, timeoutMs: 5000 }),
  )
  const revokedAt = Date.now()
  await revoke()
  for (const { seenAt } of await Promise.all(watching)) {
    expect(seenAt).not.toBeNull()
    expect(seenAt! - revokedAt).toBeLessThan(1000)
  }
}

describeRedis(`Keygate's issuer → Redis revocation list → ${PROCESSES} verifier processes`, () => {
  beforeAll(async () => {
    client = await connect()
    revocations = await createRedisRevocationList({ client, prefix })
    server = createServer(async (request, response) => {
      sendIssuerResponse(response, await issuer.respond(toIssuerRequest(request)))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    issuer = createIssuer({
      issuer: url,
      audience: AUDIENCE,
      store: createMemoryIssuerStore(),
      encryptionKey: 'test-encryption-key-0123456789abcdef-0123456789',
      refreshRotation: { graceWindow: 0 },
      clock,
      // The Redis list is the issuer's sink as it is: no glue.
      revocations,
    })
    workers = await Promise.all(Array.from({ length: PROCESSES }, () => startWorker()))
    await Promise.all(
      workers.map((worker) =>
        worker.call('init', {
          redisUrl: REDIS_URL,
          prefix,
          issuer: url,
          audience: AUDIENCE,
          jwksUri: `${url}/.well-known/jwks.json`,
          algorithms: ['EdDSA'],
          tokenCache: true,
        }),
      ),
    )
  })

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()))
    await revocations?.close()
    if (client) {
      await dropPrefix(client, prefix)
      await client.close()
    }
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  })

  it('POST /revoke of a refresh token: its family’s access token is refused by every process', async () => {
    const tokens = await issuer.createToken({ subject: 'alice', permissions: ['read'], refresh: true })
    await acceptedEverywhere(tokens.accessToken)
    await refusedEverywhereWithinASecond(tokens.accessToken, async () => {
      expect((await post('/revoke', { token: tokens.refreshToken! })).status).toBe(200)
    })
    // Another login of the same subject is another family: unaffected.
    const again = await issuer.createToken({ subject: 'alice', permissions: ['read'], refresh: true })
    await acceptedEverywhere(again.accessToken)
  })

  it('refresh-token reuse: the family (also the successor’s access token) is refused everywhere', async () => {
    const { id, key } = await issuer.apiKeys.create({ subject: 'svc', name: 'orders' })
    const first = await post('/token', { grant_type: 'client_credentials' }, basic(id, key))
    expect(first.status).toBe(200)
    const second = await post(
      '/token',
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      basic(id, key),
    )
    expect(second.status).toBe(200)
    await acceptedEverywhere(second.body.access_token)
    await refusedEverywhereWithinASecond(second.body.access_token, async () => {
      const replay = await post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
        basic(id, key),
      )
      expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    })
  })

  it('revoking an API key: the access tokens it obtained are refused everywhere', async () => {
    const { id, key } = await issuer.apiKeys.create({ subject: 'svc', name: 'billing' })
    const granted = await post('/token', { grant_type: 'client_credentials' }, basic(id, key))
    await acceptedEverywhere(granted.body.access_token)
    await refusedEverywhereWithinASecond(granted.body.access_token, async () => {
      expect(await issuer.apiKeys.revoke(id)).toBe(true)
    })
  })
})
