import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createIssuer, createMemoryIssuerStore, type Issuer } from '@keygate/core'
import { sendIssuerResponse, toIssuerRequest } from '@keygate/core/http'
import { createTestIssuer, type TestIssuer } from '@keygate/core/testing'
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

const PROCESSES = 4
const prefix = uniquePrefix('multiprocess')
let client: TestRedisClient
let issuer: TestIssuer
let workers: Worker[] = []
let revocation: RedisRevocationList
let tokenServer: Server
let tokenUrl: string
let tokenHits = 0
let keygate: Issuer
let keygateServer: Server
let keygateUrl: string
let keygateTokenPosts = 0

describeRedis(`${PROCESSES} real Node processes on one Redis`, () => {
  beforeAll(async () => {
    client = await connect()
    issuer = await createTestIssuer({ algorithms: ['ES256'] })
    await issuer.listen()
    tokenServer = createServer((_request, response) => {
      tokenHits++
      response.setHeader('content-type', 'application/json')
      response.end(
        JSON.stringify({ access_token: `token-${tokenHits}`, token_type: 'Bearer', expires_in: 300 }),
      )
    })
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve))
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`
    // Keygate's own issuer over HTTP on 127.0.0.1, counting token requests.
    keygateServer = createServer(async (request, response) => {
      if (request.method === 'POST' && request.url?.endsWith('/token')) keygateTokenPosts++
      sendIssuerResponse(response, await keygate.respond(toIssuerRequest(request)))
    })
    await new Promise<void>((resolve) => keygateServer.listen(0, '127.0.0.1', resolve))
    keygateUrl = `http://127.0.0.1:${(keygateServer.address() as AddressInfo).port}`
    keygate = createIssuer({
      issuer: keygateUrl,
      audience: 'https://orders.internal',
      store: createMemoryIssuerStore(),
      encryptionKey: 'test-encryption-key-0123456789abcdef-0123456789',
    })
    workers = await Promise.all(Array.from({ length: PROCESSES }, () => startWorker()))
    const jwksUri = `${issuer.issuer}/.well-known/jwks.json`
    await Promise.all(
      workers.map((worker) =>
        worker.call('init', {
          redisUrl: REDIS_URL,
          prefix,
          issuer: issuer.issuer,
          audience: issuer.audience,
          jwksUri,
        }),
      ),
    )
    revocation = await createRedisRevocationList({ client, prefix })
  })

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()))
    await revocation?.close()
    await dropPrefix(client, prefix)
    await client.close()
    await issuer.close()
    await new Promise((resolve) => tokenServer.close(resolve))
    keygateServer.closeAllConnections()
    await new Promise((resolve) => keygateServer.close(resolve))
  })

  it('cold start: every process verifies, with one JWKS fetch in total', async () => {
    expect(issuer.counters.jwks).toBe(0)
    const token = await issuer.sign({ sub: 'cold' })
    const results = await Promise.all(workers.map((worker) => worker.call('verify', { token })))
    expect(results).toEqual(Array.from({ length: PROCESSES }, () => ({ ok: true })))
    expect(issuer.counters.jwks).toBe(1)
  })

  it('a revocation is seen by every process within a second', async () => {
    const token = await issuer.sign({ sub: 'revoked-everywhere', jti: `jti-${Date.now()}` })
    expect(await Promise.all(workers.map((worker) => worker.call('verify', { token })))).toEqual(
      Array.from({ length: PROCESSES }, () => ({ ok: true })),
    )
    // Every process polls its own verifier; each answers when it first refused the token.
    const watching = workers.map((worker) =>
      worker.call<{ seenAt: number | null }>('watchRevoked', { token, timeoutMs: 5000 }),
    )
    const revokedAt = Date.now()
    await revocation.revoke({ kind: 'subject', value: 'revoked-everywhere', ttl: '1h' })
    const seen = await Promise.all(watching)
    for (const { seenAt } of seen) {
      expect(seenAt).not.toBeNull()
      expect(seenAt! - revokedAt).toBeLessThan(1000)
    }
  })

  it('a client token is fetched once across processes; the others use it (TokenStore lease)', async () => {
    const key = `client-${Date.now()}`
    const results = await Promise.all(
      workers.map((worker) =>
        worker.call<{ accessToken: string; fetched: boolean }>('clientToken', {
          tokenUrl,
          key,
          timeoutMs: 10_000,
        }),
      ),
    )
    expect(tokenHits).toBe(1)
    expect(new Set(results.map((result) => result.accessToken))).toEqual(new Set(['token-1']))
    expect(results.filter((result) => result.fetched)).toHaveLength(1)
  })

  it('@keygate/client in every process with the Redis token store: one token request in total', async () => {
    const { key } = await keygate.apiKeys.create({ subject: 'billing', name: 'billing' })
    const results = await Promise.all(
      workers.map((worker) =>
        worker.call<{ accessToken: string }>('keygateToken', {
          issuerUrl: keygateUrl,
          key,
          origin: 'https://orders.internal',
        }),
      ),
    )
    expect(keygateTokenPosts).toBe(1)
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(1)
  })
})
