// Keygate end to end, on 127.0.0.1 and in memory: an issuer hands out API keys and tokens, a
// resource server verifies them through the issuer's published JWKS. Run: bash scripts/demo.sh
import { createServer } from 'node:http'
import { authorize, createAuth, createIssuer, createMemoryIssuerStore } from '@keygate/core'
import { fromNodeRequest, httpError, sendIssuerResponse, toIssuerRequest } from '@keygate/core/http'

/** Serves `handler(req, res)` on a random loopback port. */
async function serve(handler) {
  const server = createServer(handler)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${server.address().port}` }
}

const store = createMemoryIssuerStore()
let issuer
// The issuer on plain node:http: core's bridge hands each request to issuer.respond.
const issuerServer = await serve(async (req, res) => {
  const request = toIssuerRequest(req, { clientAddress: req.socket.remoteAddress })
  sendIssuerResponse(res, await issuer.respond(request))
})
issuer = createIssuer({
  issuer: issuerServer.url,
  audience: 'https://orders.example',
  store,
  encryptionKey: 'demo-only-encryption-key-change-me-0123456789',
  signing: { algorithm: 'EdDSA' },
  onEvent: (event) => console.log(`  [issuer event] ${event.type}`),
})

// The resource server: discovery finds the JWKS from the issuer URL; scopes come from the token.
const auth = createAuth({
  issuer: issuerServer.url,
  audience: 'https://orders.example',
  algorithms: ['EdDSA'],
})
const api = await serve(async (req, res) => {
  const send = (status, headers, body) =>
    res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body))
  const result = await auth.authenticate(fromNodeRequest(req))
  const allowed = result.ok ? await authorize(result.principal, { permissions: ['orders:write'] }) : result
  if (!allowed.ok) {
    const { status, headers, body } = httpError(allowed.error, { realm: 'orders' })
    return send(status, headers, body)
  }
  send(200, {}, { hello: result.principal.subject, permissions: result.principal.permissions })
})

console.log(`issuer  ${issuerServer.url}`)
console.log(`api     ${api.url}\n`)

const { key } = await issuer.apiKeys.create({
  subject: 'billing-service',
  name: 'demo key',
  permissions: ['orders:read', 'orders:write'],
})
console.log(`1. API key created for billing-service (shown once): ${key.slice(0, 12)}…`)

const tokenResponse = await fetch(`${issuerServer.url}/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }),
})
const tokens = await tokenResponse.json()
console.log(
  `2. POST /token → ${tokenResponse.status}, ${tokens.token_type} token for ${tokens.expires_in}s, scope "${tokens.scope}"`,
)

const call = async (label, headers) => {
  const response = await fetch(`${api.url}/orders`, { headers })
  const challenge = response.headers.get('www-authenticate')
  console.log(
    `${label} → ${response.status} ${await response.text()}${challenge ? `\n     WWW-Authenticate: ${challenge}` : ''}`,
  )
}
await call('3. GET /orders with the token', { authorization: `Bearer ${tokens.access_token}` })
await call('4. GET /orders without a token', {})
await call('5. GET /orders with a tampered token', {
  authorization: `Bearer ${tokens.access_token.slice(0, -4)}AAAA`,
})

const narrow = await fetch(`${issuerServer.url}/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key, scope: 'orders:read' }),
}).then((r) => r.json())
await call('6. GET /orders with a token down-scoped to orders:read', {
  authorization: `Bearer ${narrow.access_token}`,
})

const refreshed = await fetch(`${issuerServer.url}/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  // The refresh token was issued to the API key: the key authenticates the refresh (RFC 6749 §6).
  body: new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
    client_secret: key,
  }),
})
console.log(`7. POST /token (refresh_token) → ${refreshed.status}`)

// The refresh token alone (a leaked one) mints nothing: the client must authenticate.
const { refresh_token: next } = await refreshed.json()
const alone = await fetch(`${issuerServer.url}/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: next }),
})
console.log(`8. POST /token (refresh_token without the key) → ${alone.status} ${(await alone.json()).error}`)

auth.close()
issuerServer.server.close()
api.server.close()
