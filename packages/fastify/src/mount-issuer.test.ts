import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountIssuer } from './index.js'

// A stand-in for `createIssuer()`: answers `<prefix>/token` with what it received, 404 elsewhere.
const echoIssuer = {
  async handle(request: Request): Promise<Response> {
    if (!new URL(request.url).pathname.endsWith('/token')) {
      return Response.json({ error: 'not_found' }, { status: 404 })
    }
    const headers = new Headers({ 'content-type': 'application/json', 'x-issuer': 'echo' })
    headers.append('set-cookie', 'a=1')
    headers.append('set-cookie', 'b=2')
    const body = JSON.stringify({
      method: request.method,
      url: request.url,
      contentType: request.headers.get('content-type'),
      body: await request.text(),
    })
    return new Response(body, { status: 201, headers })
  },
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

  it('bridges method, URL, headers, raw body (any content type), status and every Set-Cookie', async () => {
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
      expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
      expect(await res.json()).toEqual({ method: 'POST', url: `${url}/oauth/token?x=1`, contentType, body })
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

  it('answers 413 for a body over the limit, without calling the issuer', async () => {
    const res = await fetch(`${url}/oauth/token`, { method: 'POST', body: 'x'.repeat(2048) })
    expect(res.status).toBe(413)
  })
})
