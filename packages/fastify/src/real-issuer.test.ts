import { createAuth, createIssuer, createMemoryIssuerStore } from '@keygate/core'
import Fastify from 'fastify'
import { afterAll, expect, it } from 'vitest'
import { getAuth, keygate, mountIssuer } from './index.js'

const ISSUER = 'https://auth.example'
const AUDIENCE = 'https://api.example'

const issuer = createIssuer({
  issuer: ISSUER,
  audience: AUDIENCE,
  store: createMemoryIssuerStore(),
  encryptionKey: 'adapter-test-encryption-key-0123456789abcdef',
  signing: { algorithm: 'ES256' },
  basePath: '/oauth',
})

// The JWKS URL is known once the issuer app listens; the API runs as a second app.
const issuerApp = Fastify()
await issuerApp.register(mountIssuer(issuer), { prefix: '/oauth' })
const issuerUrl = await issuerApp.listen({ port: 0, host: '127.0.0.1' })
const auth = createAuth({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUri: `${issuerUrl}/oauth/.well-known/jwks.json`,
})
const api = Fastify()
await api.register(keygate, { auth })
api.get(
  '/orders',
  { config: { auth: { requirement: { permissions: ['orders:read'] } } } },
  async (request) => ({
    subject: getAuth(request).subject,
  }),
)

afterAll(async () => {
  auth.close()
  await Promise.all([issuerApp.close(), api.close()])
})

it('issues a token for an API key at the mounted /token, verified through the mounted JWKS', async () => {
  const { key } = await issuer.apiKeys.create({
    subject: 'billing-svc',
    name: 'test',
    permissions: ['orders:read'],
  })
  const tokenResponse = await fetch(`${issuerUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }).toString(),
  })
  expect(tokenResponse.status).toBe(200)
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string }
  const orders = await api.inject({ url: '/orders', headers: { authorization: `Bearer ${token}` } })
  expect(orders.statusCode).toBe(200)
  expect(orders.json()).toEqual({ subject: 'billing-svc' })
  const metadata = await fetch(`${issuerUrl}/oauth/.well-known/oauth-authorization-server`)
  expect(metadata.status).toBe(200)
})
