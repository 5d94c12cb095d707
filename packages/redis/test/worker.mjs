// A verifier process for the multi-process tests: started with child_process.fork, driven over
// IPC. It uses only the built packages (`dist`), as an application would.
import { createClient as createKeygateClient } from '@keygate/client'
import { createAuth } from '@keygate/core'
import { createRedisKeyStore, createRedisRevocationList, createRedisTokenStore } from '@keygate/redis'
import { createClient } from 'redis'

let client
let auth
let revocation
let tokenStore
const events = []

async function init({ redisUrl, prefix, issuer, audience, jwksUri, algorithms = ['ES256'], tokenCache }) {
  client = createClient({ url: redisUrl, socket: { reconnectStrategy: () => 50 } })
  client.on('error', () => {})
  await client.connect()
  const onEvent = (event) => events.push(event.type)
  revocation = await createRedisRevocationList({ client, prefix, onEvent })
  tokenStore = createRedisTokenStore({ client, prefix, onEvent })
  auth = createAuth({
    issuer,
    audience,
    algorithms,
    jwks: { store: createRedisKeyStore({ client, prefix, onEvent }) },
    jwksUri,
    revocation,
    tokenCache,
  })
  return {}
}

async function verify({ token }) {
  const result = await auth.authenticate({ headers: new Headers({ authorization: `Bearer ${token}` }) })
  return result.ok ? { ok: true } : { ok: false, code: result.error.code }
}

// Polls this process's own verifier until the token is refused; answers when (by the shared clock).
async function watchRevoked({ token, timeoutMs }) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const result = await verify({ token })
    if (!result.ok && result.code === 'ERR_TOKEN_REVOKED') return { seenAt: Date.now() }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return { seenAt: null }
}

// The client-token dance every process does: take the cached token, or take the lease and
// fetch one from the token server, or wait for the lease holder's token.
async function clientToken({ tokenUrl, key, timeoutMs }) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const cached = await tokenStore.get(key)
    if (cached && cached.expiresAt > Date.now()) return { accessToken: cached.accessToken, fetched: false }
    if (await tokenStore.acquire(key, 5000)) {
      try {
        const again = await tokenStore.get(key)
        if (again && again.expiresAt > Date.now()) return { accessToken: again.accessToken, fetched: false }
        const response = await fetch(tokenUrl, { method: 'POST' })
        const body = await response.json()
        const tokens = { accessToken: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 }
        await tokenStore.set(key, tokens, body.expires_in * 1000)
        return { accessToken: tokens.accessToken, fetched: true }
      } finally {
        await tokenStore.release(key)
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('no token in time')
}

// @keygate/client with the Redis token store: the token every process of this "service" uses.
async function keygateToken({ issuerUrl, key, origin }) {
  const keygate = createKeygateClient({ issuer: issuerUrl, key, origins: [origin], store: tokenStore })
  try {
    return { accessToken: await keygate.getToken() }
  } finally {
    keygate.close()
  }
}

async function close() {
  auth?.close()
  await revocation?.close()
  await client?.close()
  return {}
}

const handlers = {
  init,
  verify,
  watchRevoked,
  clientToken,
  keygateToken,
  close,
  events: async () => ({ events }),
}

process.on('message', async ({ id, command, args }) => {
  try {
    const result = await handlers[command](args ?? {})
    // After close, leave at once: whatever the libraries still hold must not keep the test waiting.
    if (command === 'close') process.send({ id, result }, () => process.exit(0))
    else process.send({ id, result })
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) })
  }
})
process.send({ ready: true })
