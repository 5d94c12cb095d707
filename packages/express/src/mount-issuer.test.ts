import type { AddressInfo } from 'node:net'
import type { IssuerResponse } from '@keygate/core'
import express5, { type Express } from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type IssuerHandler, mountIssuer } from './index.js'

// A stand-in for `createIssuer()`: answers `path` with what it received, 404 elsewhere.
const echoIssuer = (path: string): IssuerHandler => ({
  async respond(request) {
    if (request.url.split('?')[0] !== path) return json(404, { error: 'not_found' })
    const body = await request.readBody(1024)
    return json(201, {
      method: request.method,
      url: request.url,
      contentType: request.headers.get('content-type'),
      clientAddress: request.clientAddress,
      body: text(body),
    })
  },
})

const text = (body: string | Uint8Array) => (typeof body === 'string' ? body : new TextDecoder().decode(body))

function json(status: number, body: unknown): IssuerResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-issuer': 'echo' },
    body: JSON.stringify(body),
  }
}

function buildApp(createApp: () => Express): Express {
  const app = createApp()
  app.use(mountIssuer(echoIssuer('/token')))
  app.use('/oauth', mountIssuer(echoIssuer('/oauth/token'), { fallthrough: false }))
  app.use(
    '/parsed',
    express5.urlencoded({ extended: false }),
    express5.json(),
    mountIssuer(echoIssuer('/parsed/token')),
  )
  // An issuer that reads the body before answering 404: the request cannot be passed on.
  app.use(
    '/reads',
    mountIssuer({
      respond: async (r) => ({ status: 404, headers: {}, body: text(await r.readBody(1024)) }),
    }),
  )
  app.get('/app-route', (_req, res) => res.json({ app: true }))
  app.post('/reads/app-route', (_req, res) => res.json({ app: true }))
  return app
}

describe.each([
  ['Express 5', () => express5()],
  ['Express 4', () => express4()],
] as const)('mountIssuer on %s', (_name, createApp) => {
  let url: string
  let close: () => Promise<void>

  beforeAll(async () => {
    const server = await new Promise<ReturnType<Express['listen']>>((resolve) => {
      const s = buildApp(createApp).listen(0, '127.0.0.1', () => resolve(s))
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => new Promise((resolve) => server.close(() => resolve()))
  })
  afterAll(() => close())

  it('bridges method, URL, headers, client address, body, status and headers', async () => {
    const res = await fetch(`${url}/token?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=read',
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-issuer')).toBe('echo')
    expect(await res.json()).toEqual({
      method: 'POST',
      url: '/token?x=1',
      contentType: 'application/x-www-form-urlencoded',
      clientAddress: '127.0.0.1',
      body: 'grant_type=client_credentials&scope=read',
    })
  })

  it('passes the full path under a mount path', async () => {
    const res = await fetch(`${url}/oauth/token`, { method: 'POST', body: 'a=b' })
    expect((await res.json()).url).toBe('/oauth/token')
  })

  it('falls through to the app on 404, unless told not to', async () => {
    const app = await fetch(`${url}/app-route`)
    expect(await app.json()).toEqual({ app: true })
    const strict = await fetch(`${url}/oauth/unknown`)
    expect(strict.status).toBe(404)
    expect(await strict.json()).toEqual({ error: 'not_found' })
  })

  it('does not fall through once the issuer has read the body', async () => {
    const res = await fetch(`${url}/reads/app-route`, { method: 'POST', body: 'payload' })
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('payload')
  })

  it('re-encodes a body that a body parser already consumed', async () => {
    const form = await fetch(`${url}/parsed/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=abc',
    })
    expect((await form.json()).body).toBe('grant_type=refresh_token&refresh_token=abc')
    const json = await fetch(`${url}/parsed/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'abc' }),
    })
    expect(JSON.parse((await json.json()).body)).toEqual({ token: 'abc' })
  })

  it('rejects a body larger than the limit with 400 invalid_request', async () => {
    const declared = await fetch(`${url}/token`, { method: 'POST', body: 'x'.repeat(2048) })
    expect(declared.status).toBe(400)
    expect((await declared.json()).code).toBe('ERR_INVALID_REQUEST')
  })

  it('errors a streamed body that grows past the limit', async () => {
    // No Content-Length: a chunked stream the limit is enforced on while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(512)))
        controller.close()
      },
    })
    const res = await fetch(`${url}/token`, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' })
    expect(res.status).toBe(400)
    expect((await res.json()).code).toBe('ERR_INVALID_REQUEST')
  })
})
