// One process of `bench:redis`'s cold start: builds a verifier (with or without the Redis
// KeyStore), waits for the signal, then verifies and reports each verification's latency (ms).
import { performance } from 'node:perf_hooks'
import { createAuth } from '@keygate/core'
import { createRedisKeyStore } from '@keygate/redis'
import { createClient } from 'redis'

let auth
let client
let requests

process.on('message', async (message) => {
  if (message.setup) {
    const { redisUrl, prefix, withStore, jwksUri, issuer, audience, tokens } = message.setup
    let store
    if (withStore) {
      client = createClient({ url: redisUrl })
      client.on('error', () => {})
      await client.connect()
      store = createRedisKeyStore({ client, prefix })
    }
    auth = createAuth({ issuer, audience, jwksUri, algorithms: ['ES256'], jwks: store ? { store } : {} })
    requests = tokens.map((token) => ({ headers: new Headers({ authorization: `Bearer ${token}` }) }))
    process.send({ ready: true })
    return
  }
  if (message.go) {
    const latencies = []
    for (let i = 0; i < message.go; i++) {
      const start = performance.now()
      const result = await auth.authenticate(requests[i % requests.length])
      latencies.push(performance.now() - start)
      if (!result.ok) throw new Error(`refused: ${result.error.code}`)
    }
    auth.close()
    await client?.close()
    process.send({ latencies }, () => process.exit(0))
  }
})
process.send({ started: true })
