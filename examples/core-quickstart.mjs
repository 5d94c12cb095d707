// Keygate end to end, on 127.0.0.1 and in memory: an issuer hands out API keys and tokens, a
// resource server verifies them through the issuer's published JWKS. Run: bash scripts/demo.sh
import { createServer } from 'node:http'
import { authorize, createAuth, createIssuer, createMemoryIssuerStore } from '@keygate/core'
import { fromNodeRequest, httpError } from '@keygate/core/http'

/** Serves a fetch-style handler on a random loopback port. */
async function serve(handle) {
  const server = createServer(async (req, res) => {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    })
    const response = await handle(request, req)
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(Buffer.from(await response.arrayBuffer()))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${server.address().port}` }
}

const store = createMemoryIssuerStore()
let issuer
const issuerServer = await serve((request) => issuer.handle(request))
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
const api = await serve(async (_request, req) => {
  const result = await auth.authenticate(fromNodeRequest(req))
  const fail = (error) => {
    const { status, headers, body } = httpError(error, { realm: 'orders' })
    return Response.json(body, { status, headers })
  }
  if (!result.ok) return fail(result.error)
  const allowed = await authorize(result.principal, { permissions: ['orders:write'] })
  if (!allowed.ok) return fail(allowed.error)
  return Response.json({ hello: result.principal.subject, permissions: result.principal.permissions })
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
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
})
console.log(`7. POST /token (refresh_token) → ${refreshed.status}`)

auth.close()
issuerServer.server.close()
api.server.close()
