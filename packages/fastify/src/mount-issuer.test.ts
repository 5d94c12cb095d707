import type { IssuerResponse } from '@keygate/core'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type IssuerHandler, mountIssuer } from './index.js'

// A stand-in for `createIssuer()`: answers `<prefix>/token` with what it received, 404 elsewhere.
const echoIssuer: IssuerHandler = {
  async respond(request) {
    if (!request.url.split('?')[0]!.endsWith('/token')) return json(404, { error: 'not_found' })
    const body = await request.readBody(1024)
    return json(201, {
      method: request.method,
      url: request.url,
      contentType: request.headers.get('content-type'),
      clientAddress: request.clientAddress,
      body: typeof body === 'string' ? body : new TextDecoder().decode(body),
    })
  },
}

function json(status: number, body: unknown): IssuerResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-issuer': 'echo' },
    body: JSON.stringify(body),
  }
}

describe('mountIssuer on Fastify 5', () => {
  let app: FastifyInstance
  let url: string
  beforeAll(async () => {
    app = Fastify()
    app.post('/json', async (request) => ({ parsed: request.body }))
    await app.register(mountIssuer(echoIssuer, { maxBodyBytes: 1024 }), { prefix: '/oauth' })
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app.close())

  it('bridges method, URL, headers, client address, raw body (any content type) and status', async () => {
    for (const [contentType, body] of [
      ['application/x-www-form-urlencoded', 'grant_type=client_credentials&scope=read'],
      ['application/json', '{"token":"abc"}'],
      ['text/plain', 'hello'],
    ]) {
      const res = await fetch(`${url}/oauth/token?x=1`, {
        method: 'POST',
        headers: { 'content-type': contentType as string },
        body,
      })
      expect(res.status).toBe(201)
      expect(res.headers.get('x-issuer')).toBe('echo')
      expect(await res.json()).toEqual({
        method: 'POST',
        url: '/oauth/token?x=1',
        contentType,
        clientAddress: '127.0.0.1',
        body,
      })
    }
  })

  it('serves GET and HEAD, and leaves the rest of the app (and its JSON parser) alone', async () => {
    expect((await fetch(`${url}/oauth/token`)).status).toBe(201)
    expect((await fetch(`${url}/oauth/token`, { method: 'HEAD' })).status).toBe(201)
    expect((await fetch(`${url}/oauth/other`)).status).toBe(404)
    const json = await fetch(`${url}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    expect(await json.json()).toEqual({ parsed: { a: 1 } })
  })

  it('answers a body over the limit with 400 invalid_request as OAuth JSON, without calling the issuer', async () => {
    const res = await fetch(`${url}/oauth/token`, { method: 'POST', body: 'x'.repeat(2048) })
    expect(res.status).toBe(400)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-issuer')).toBeNull()
    expect(await res.json()).toMatchObject({ error: 'invalid_request', code: 'ERR_INVALID_REQUEST' })
  })

  it('a Content-Type Fastify cannot parse goes to the issuer without the body (reverse-proxy checks stay 200/401/403)', async () => {
    const seen: Array<{ url: string; body: string }> = []
    const checker: IssuerHandler = {
      async respond(request) {
        const body = await request.readBody(1024)
        seen.push({
          url: request.url,
          body: typeof body === 'string' ? body : new TextDecoder().decode(body),
        })
        return { status: 403, headers: {}, body: null }
      },
    }
    const proxy = Fastify()
    await proxy.register(mountIssuer(checker))
    for (const contentType of ['x', '', ';;;']) {
      const res = await proxy.inject({
        method: 'PATCH',
        url: '/validate_request',
        headers: { 'content-type': contentType },
        payload: '{}',
      })
      expect(res.statusCode).toBe(403)
    }
    expect(seen).toEqual(Array(3).fill({ url: '/validate_request', body: '' }))
    await proxy.close()
  })

  it('passes any other error on to the app, whatever its code', async () => {
    const failing = Fastify()
    failing.setErrorHandler((error: Error & { code?: unknown }, _request, reply) => {
      reply.code(500).send({ caught: error.message, code: error.code })
    })
    const broken: IssuerHandler = {
      async respond() {
        throw Object.assign(new Error('store down'), { code: 11000 })
      },
    }
    await failing.register(mountIssuer(broken))
    const res = await failing.inject({ method: 'POST', url: '/token', payload: 'a=1' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ caught: 'store down', code: 11000 })
    await failing.close()
  })

  it("leaves errors of the app's other routes to Fastify", async () => {
    const res = await fetch(`${url}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    })
    expect(res.status).toBe(400)
    expect((await res.json()).code).toBe('FST_ERR_CTP_INVALID_JSON_BODY')
  })
})
