import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendIssuerResponse, toIssuerRequest } from '../http/node-request.js'
import { createAuth } from '../verify/create-auth.js'
import { createIssuer } from './create-issuer.js'
import { createMemoryIssuerStore } from './memory-store.js'
import { ADMIN_TOKEN, basic, ENCRYPTION_KEY } from './test-fixtures.js'
import type { Issuer } from './types.js'

/** Serves the issuer over real HTTP on 127.0.0.1 the way Node servers do: `respond` through core's bridge. */
async function serve(target: () => Issuer | undefined): Promise<{ base: string; server: Server }> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const issuer = target()
    if (!issuer) return res.writeHead(503).end()
    const request = toIssuerRequest(req, { clientAddress: req.socket.remoteAddress })
    sendIssuerResponse(res, await issuer.respond(request))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe.each(['EdDSA', 'ES256', 'RS256'] as const)(
  'issuer.respond over real HTTP on 127.0.0.1 (%s)',
  (algorithm) => {
    let server: Server
    let base: string
    let issuer: Issuer
    const audience = 'https://api.example'

    beforeAll(async () => {
      ;({ base, server } = await serve(() => issuer))
      issuer = createIssuer({
        issuer: base,
        audience,
        store: createMemoryIssuerStore(),
        encryptionKey: ENCRYPTION_KEY,
        adminToken: ADMIN_TOKEN,
        signing: { algorithm },
      })
    })
    afterAll(async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })

    async function tokenFromAPIKey(): Promise<{
      access_token: string
      refresh_token: string
      client: string
    }> {
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
      return { ...(await response.json()), client: basic(id, key) }
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
      const { access_token, refresh_token, client } = await tokenFromAPIKey()
      const auth = createAuth({ issuer: base, audience, typ: 'at+jwt', algorithms: [algorithm] })
      try {
        const principal = await auth.verify(access_token)
        expect(principal.subject).toBe('svc-1')
        expect(principal.permissions).toEqual(['read'])
        const refreshed = await fetch(`${base}/token`, {
          method: 'POST',
          // RFC 6749 §6: the client the token was issued to authenticates.
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: client },
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
  },
)

describe('request bodies from the socket (toIssuerRequest reading a Node request)', () => {
  let server: Server
  let base: string
  let issuer: Issuer

  beforeAll(async () => {
    ;({ base, server } = await serve(() => issuer))
    issuer = createIssuer({
      issuer: base,
      audience: 'https://api.example',
      store: createMemoryIssuerStore(),
      encryptionKey: ENCRYPTION_KEY,
      rateLimit: { maxFailures: 2, addressScale: 1 },
    })
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const chunked = (...parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part))
        controller.close()
      },
    })
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
      duplex: 'half',
    } as RequestInit)

  it('reads a chunked body (no Content-Length) in pieces', async () => {
    const { id, key } = await issuer.apiKeys.create({ subject: 'svc', name: 'n' })
    const response = await post(chunked('grant_type=', 'client_', 'credentials'), {
      authorization: basic(id, key),
    })
    expect(response.status).toBe(200)
    expect((await response.json()).token_type).toBe('Bearer')
  })

  it('answers 400 invalid_request — delivered, not a reset — for a body over the limit, declared or streamed', async () => {
    const big = 'a'.repeat(20 * 1024)
    for (const body of [`grant_type=client_credentials&pad=${big}`, chunked('grant_type=x&pad=', big, big)]) {
      const response = await post(body)
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({
        error: 'invalid_request',
        error_description: 'The request body is too large',
      })
    }
  })

  it("rate-limits failed attempts per the socket's address", async () => {
    const { key } = await issuer.apiKeys.create({ subject: 'svc', name: 'n' })
    const attempt = (secret: string) => post(`grant_type=client_credentials&client_secret=${secret}`)
    for (let i = 0; i < 2; i++) expect((await attempt('garbage')).status).toBe(401)
    const limited = await attempt(key)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
  })
})
