import type { AddressInfo } from 'node:net'
import { createAuth, createIssuer, createMemoryIssuerStore } from '@keygate/core'
import express5, { type Express } from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate, authorize, getAuth, mountIssuer } from './index.js'

const ISSUER = 'https://auth.example'
const AUDIENCE = 'https://api.example'

// The whole loop through the bridge: an API key becomes a token at the mounted /token, and the
// token verifies against the JWKS served by the same mount.
describe.each([
  ['Express 5', () => express5()],
  ['Express 4', () => express4()],
] as const)('the real issuer mounted on %s', (_name, createApp) => {
  const issuer = createIssuer({
    issuer: ISSUER,
    audience: AUDIENCE,
    store: createMemoryIssuerStore(),
    encryptionKey: 'adapter-test-encryption-key-0123456789abcdef',
    signing: { algorithm: 'ES256' },
  })
  let url: string
  let close: () => Promise<void>
  let auth: ReturnType<typeof createAuth>

  beforeAll(async () => {
    const app: Express = createApp()
    app.use(mountIssuer(issuer))
    const server = await new Promise<ReturnType<Express['listen']>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => new Promise((resolve) => server.close(() => resolve()))
    // Routes may be added after listen: the JWKS URL is known only now.
    auth = createAuth({ issuer: ISSUER, audience: AUDIENCE, jwksUri: `${url}/.well-known/jwks.json` })
    app.get('/orders', authenticate(auth), authorize({ permissions: ['orders:read'] }), (req, res) => {
      res.json({ subject: getAuth(req).subject })
    })
  })
  afterAll(async () => {
    auth.close()
    await close()
  })

  it('issues a token for an API key and verifies it on a protected route', async () => {
    const { key } = await issuer.apiKeys.create({
      subject: 'billing-svc',
      name: 'test',
      permissions: ['orders:read'],
    })
    const tokenResponse = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }).toString(),
    })
    expect(tokenResponse.status).toBe(200)
    expect(tokenResponse.headers.get('cache-control')).toContain('no-store')
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string }
    const orders = await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } })
    expect(orders.status).toBe(200)
    expect(await orders.json()).toEqual({ subject: 'billing-svc' })
  })

  it('passes the issuer OAuth errors through untouched', async () => {
    const res = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_secret=kg_garbage',
    })
    expect(res.status).toBe(401)
    expect((await res.json()).error).toBe('invalid_client')
  })
})
