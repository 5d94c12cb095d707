import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../verify/create-auth.js'
import { createIssuer } from './create-issuer.js'
import { createMemoryIssuerStore } from './memory-store.js'
import { ADMIN_TOKEN, basic, ENCRYPTION_KEY } from './test-fixtures.js'
import type { Issuer } from './types.js'

/** Serves a fetch-style handler over real HTTP on 127.0.0.1 (the test's own minimal bridge). */
async function serve(
  handle: (request: Request) => Promise<Response>,
): Promise<{ base: string; server: Server }> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value)
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const response = await handle(
      new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        body: hasBody ? Buffer.concat(chunks) : undefined,
      }),
    )
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(Buffer.from(await response.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('over real HTTP on 127.0.0.1 (%s)', (algorithm) => {
  let server: Server
  let base: string
  let issuer: Issuer
  const audience = 'https://api.example'

  beforeAll(async () => {
    let target: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 })
    ;({ base, server } = await serve((request) => target(request)))
    issuer = createIssuer({
      issuer: base,
      audience,
      store: createMemoryIssuerStore(),
      encryptionKey: ENCRYPTION_KEY,
      adminToken: ADMIN_TOKEN,
      signing: { algorithm },
    })
    target = (request) => issuer.handle(request)
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  async function tokenFromAPIKey(): Promise<{ access_token: string; refresh_token: string }> {
    const created = await fetch(`${base}/admin/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'svc-1', name: 'ci', permissions: ['read'] }),
    })
    expect(created.status).toBe(201)
    const { id, key } = await created.json()
    const response = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { authorization: basic(id, key), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    expect(response.status).toBe(200)
    return response.json()
  }

  it("verifies with jose's createRemoteJWKSet against the published JWKS", async () => {
    const { access_token } = await tokenFromAPIKey()
    const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`))
    const { payload, protectedHeader } = await jwtVerify(access_token, jwks, {
      issuer: base,
      audience,
      typ: 'at+jwt',
    })
    expect(protectedHeader.alg).toBe(algorithm)
    expect(payload).toMatchObject({ sub: 'svc-1', scope: 'read', permissions: ['read'] })
    const direct = await issuer.createToken({ subject: 'user-2', permissions: ['write'] })
    await expect(jwtVerify(direct.accessToken, jwks, { issuer: base, audience })).resolves.toBeDefined()
  })

  it("verifies with Keygate's createAuth, discovering the JWKS from the issuer's metadata", async () => {
    const { access_token, refresh_token } = await tokenFromAPIKey()
    const auth = createAuth({ issuer: base, audience, typ: 'at+jwt', algorithms: [algorithm] })
    try {
      const principal = await auth.verify(access_token)
      expect(principal.subject).toBe('svc-1')
      expect(principal.permissions).toEqual(['read'])
      const refreshed = await fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token }),
      })
      const next = await refreshed.json()
      expect((await auth.verify(next.access_token)).subject).toBe('svc-1')
    } finally {
      auth.close()
    }
  })

  it('verifies through keySource() without a network hop', async () => {
    const auth = createAuth({ issuer: base, audience, source: issuer.keySource(), algorithms: [algorithm] })
    try {
      const { accessToken } = await issuer.createToken({ subject: 'user-3' })
      expect((await auth.verify(accessToken)).subject).toBe('user-3')
    } finally {
      auth.close()
    }
  })
})
