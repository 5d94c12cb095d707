import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendIssuerResponse, toIssuerRequest } from '../../http/node-request.js'
import { createAuth } from '../../verify/create-auth.js'
import { createIssuer } from '../create-issuer.js'
import { createMemoryIssuerStore } from '../memory-store.js'
import { decodeJWT, ENCRYPTION_KEY, T0 } from '../test-fixtures.js'
import type { Issuer } from '../types.js'

const IDENTIFIER = '3d6f0a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6'
const KEY = 'machine-key-7f3e'
const INTERNAL_TOKEN = 'internal-token-for-register-key-0123456789'

/**
 * The JWThenticator routes over real HTTP on 127.0.0.1, driven the way its Python `Client` and
 * `InternalClient` drive them (aiohttp `json=` bodies, `Authorization: Bearer` on the target).
 */
describe('JWThenticator routes over real HTTP (node:http + issuer.respond, RS256)', () => {
  let server: Server
  let base: string
  let issuer: Issuer
  const clock = { now: T0 }

  beforeAll(async () => {
    server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      const request = toIssuerRequest(req, { clientAddress: req.socket.remoteAddress })
      sendIssuerResponse(res, await issuer.respond(request))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    issuer = createIssuer({
      issuer: base,
      audience: 'https://api.example',
      store: createMemoryIssuerStore(),
      encryptionKey: ENCRYPTION_KEY,
      signing: { algorithm: 'RS256' },
      clock: () => clock.now,
      jwthenticator: {
        prefix: '/auth',
        leaseTime: '15m',
        audience: ['orders'],
        keyExpiry: '30d',
        refreshTokenExpiry: '7d',
        adminToken: INTERNAL_TOKEN,
      },
    })
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}/auth${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
    }
  }

  it('serves the whole client flow with exact bodies and statuses', async () => {
    const internal = { authorization: `Bearer ${INTERNAL_TOKEN}` }
    // InternalClient.register_key: exactly 201 and {"result": true}.
    const registered = await call('POST', '/register_key', { key: KEY, identifier: IDENTIFIER }, internal)
    expect(registered).toMatchObject({ status: 201, body: { result: true } })
    expect(registered.body).toEqual({ result: true })
    expect(registered.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await call('POST', '/is_key_registered', { key: KEY }, internal)).toMatchObject({
      status: 200,
      body: { result: true },
    })

    // Client: no JWT and no refresh token yet, so /authenticate.
    const auth = await call('POST', '/authenticate', { key: KEY, identifier: IDENTIFIER })
    expect(auth.status).toBe(200)
    expect(Object.keys(auth.body).sort()).toEqual(['jwt', 'refresh_token'])
    const { header, payload } = decodeJWT(auth.body.jwt)
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(payload).toMatchObject({ identifier: IDENTIFIER, aud: ['orders'], iss: base, sub: IDENTIFIER })
    expect(payload.exp).toBe((payload.iat as number) + 900)

    // The aiohttp decorator posts the JWT to /validate; Nginx asks /validate_request.
    expect(await call('POST', '/validate', { jwt: auth.body.jwt })).toMatchObject({
      status: 200,
      body: { result: true },
    })
    const nginx = await call('GET', '/validate_request', undefined, {
      authorization: `Bearer ${auth.body.jwt}`,
    })
    expect(nginx).toMatchObject({ status: 200, body: {} })
    expect(nginx.body).toEqual({})
    expect((await call('GET', '/validate_request')).status).toBe(403)

    // Any verifier checks the JWT against the JWKS these routes publish.
    const verifier = createAuth({
      issuer: base,
      audience: 'orders',
      jwksUri: `${base}/auth/jwks`,
      algorithms: ['RS256'],
      typ: 'JWT',
      clock: () => clock.now,
    })
    expect((await verifier.verify(auth.body.jwt)).subject).toBe(IDENTIFIER)

    // Past exp the client refreshes with the same refresh token (no rotation).
    clock.now += 15 * 60_000 + 10_000
    expect(await call('POST', '/validate', { jwt: auth.body.jwt })).toMatchObject({ status: 401, body: {} })
    for (let i = 0; i < 2; i++) {
      const refreshed = await call('POST', '/refresh', {
        refresh_token: auth.body.refresh_token,
        identifier: IDENTIFIER,
      })
      expect(refreshed.status).toBe(200)
      expect(Object.keys(refreshed.body)).toEqual(['jwt'])
      expect((await call('POST', '/validate', { jwt: refreshed.body.jwt })).body).toEqual({ result: true })
    }

    // The refresh token expires: 401 {} — the client drops it and authenticates again.
    clock.now += 7 * 86_400_000
    expect(
      await call('POST', '/refresh', { refresh_token: auth.body.refresh_token, identifier: IDENTIFIER }),
    ).toMatchObject({ status: 401, body: {} })
    const again = await call('POST', '/authenticate', { key: KEY, identifier: IDENTIFIER })
    expect(again.status).toBe(200)
    expect(
      await call('GET', '/validate_request', undefined, { authorization: `Bearer ${again.body.jwt}` }),
    ).toMatchObject({ status: 200 })

    // Bad JSON over the wire: 400 {}.
    const broken = await fetch(`${base}/auth/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"key": ',
    })
    expect(broken.status).toBe(400)
    expect(await broken.json()).toEqual({})
  })

  it('answers /health, /jwks and Keygate routes side by side', async () => {
    expect(await call('GET', '/health')).toMatchObject({ status: 200, body: { result: true } })
    const jwks = await call('GET', '/jwks')
    expect(jwks.status).toBe(200)
    expect(jwks.body).toEqual(await issuer.jwks())
    const keygate = await fetch(`${base}/.well-known/jwks.json`)
    expect(keygate.status).toBe(200)
    expect(await keygate.json()).toEqual(jwks.body)
    // Under the prefix only.
    expect((await fetch(`${base}/health`)).status).toBe(404)
  })
})
