import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { InvalidRequestError } from '../errors.js'
import {
  type NodeIncomingRequest,
  type NodeServerResponse,
  sendIssuerResponse,
  toIssuerRequest,
} from './node-request.js'

function nodeRequest(init: {
  method?: string
  url?: string
  headers?: Record<string, string | string[]>
  chunks?: string[]
}) {
  let reads = 0
  const request: NodeIncomingRequest & { reads: () => number } = {
    method: init.method,
    url: init.url,
    headers: init.headers ?? {},
    reads: () => reads,
    async *[Symbol.asyncIterator]() {
      for (const chunk of init.chunks ?? []) {
        reads += 1
        yield new TextEncoder().encode(chunk)
      }
    },
  }
  return request
}

describe('toIssuerRequest', () => {
  it('sees a repeated Authorization or Content-Type in the raw lines', () => {
    const request = toIssuerRequest({
      ...nodeRequest({ method: 'POST', headers: { authorization: 'Basic a', 'content-type': 'text/plain' } }),
      rawHeaders: ['Authorization', 'Basic a', 'Authorization', 'Basic b', 'content-type', 'text/plain'],
    })
    expect(request.headers.get('authorization')).toBe('Basic a, Basic b')
    expect(request.headers.get('content-type')).toBe('text/plain')
  })

  it('copies method, URL, repeated headers, the client address and the body', async () => {
    const source = nodeRequest({
      method: 'post',
      url: '/token?x=1',
      headers: { 'content-type': 'text/plain', accept: ['a', 'b'] },
      chunks: ['hel', 'lo'],
    })
    const request = toIssuerRequest(source, { clientAddress: '10.0.0.1' })
    expect(request.method).toBe('POST')
    expect(request.url).toBe('/token?x=1')
    expect(request.headers.get('Accept')).toBe('a, b')
    expect(request.headers.get('authorization')).toBeNull()
    expect(request.clientAddress).toBe('10.0.0.1')
    expect(new TextDecoder().decode((await request.readBody(100)) as Uint8Array)).toBe('hello')
  })

  it('reads nothing from the Node stream until the body is read, and takes the URL it is given', async () => {
    const source = nodeRequest({ method: 'POST', url: '/token', chunks: ['a'] })
    const request = toIssuerRequest(source, { url: '/oauth/token' })
    await Promise.resolve()
    expect(source.reads()).toBe(0)
    expect(request.url).toBe('/oauth/token')
    expect(await request.readBody(10)).toEqual(new TextEncoder().encode('a'))
  })

  it('prefers a body the framework already read', async () => {
    const source = nodeRequest({ method: 'POST', chunks: ['stream'] })
    expect(await toIssuerRequest(source, { body: 'read' }).readBody(10)).toBe('read')
    expect(source.reads()).toBe(0)
  })

  it('refuses a declared length over the limit without reading, and a stream that grows past it', async () => {
    const declared = nodeRequest({ method: 'POST', headers: { 'content-length': '11' }, chunks: ['x'] })
    await expect(async () => toIssuerRequest(declared).readBody(10)).rejects.toThrow(InvalidRequestError)
    expect(declared.reads()).toBe(0)
    const streamed = nodeRequest({ method: 'POST', chunks: ['123456', '78901', 'never'] })
    await expect(async () => toIssuerRequest(streamed).readBody(10)).rejects.toThrow(
      'The request body is too large',
    )
    expect(streamed.reads()).toBe(2)
  })
})

describe('toIssuerRequest over a Node stream (read by its events)', () => {
  const stream = (chunks: (string | Error)[]) =>
    Object.assign(
      new Readable({
        read() {
          const next = chunks.shift()
          if (next instanceof Error) this.destroy(next)
          else this.push(next === undefined ? null : Buffer.from(next))
        },
      }),
      { method: 'POST', url: '/token', headers: {} },
    )

  it('reads every chunk, and leaves no listener behind', async () => {
    const source = stream(['grant_type=', 'client_credentials'])
    const body = await toIssuerRequest(source).readBody(100)
    expect(new TextDecoder().decode(body as Uint8Array)).toBe('grant_type=client_credentials')
    expect(source.listenerCount('data') + source.listenerCount('end')).toBe(0)
  })

  it('stops at the limit and lets the rest drain (no error, so the socket can answer), and reports a failing stream', async () => {
    const big = stream(['123456', '78901', 'more'])
    await expect(async () => toIssuerRequest(big).readBody(10)).rejects.toThrow(InvalidRequestError)
    expect(big.listenerCount('data')).toBe(0)
    if (!big.readableEnded) await new Promise((resolve) => big.once('end', resolve))
    expect(big.errored).toBeNull()
    const broken = stream(['abc', new Error('socket hang up')])
    await expect(async () => toIssuerRequest(broken).readBody(10)).rejects.toThrow('socket hang up')
  })

  it('answers an already-ended stream with an empty body', async () => {
    const ended = stream([])
    ended.resume()
    await new Promise((resolve) => ended.once('end', resolve))
    expect(await toIssuerRequest(ended).readBody(10)).toEqual(new Uint8Array(0))
  })
})

describe('sendIssuerResponse', () => {
  it('writes status, headers and the body in one end()', () => {
    const headers: Record<string, string> = {}
    const ended: unknown[] = []
    const target: NodeServerResponse = {
      statusCode: 200,
      setHeader: (name, value) => {
        headers[name] = value
      },
      end: (body) => {
        ended.push(body)
      },
    }
    sendIssuerResponse(target, {
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
    })
    expect(target.statusCode).toBe(201)
    expect(headers).toEqual({ 'content-type': 'application/json' })
    expect(ended).toEqual(['{"ok":true}'])
    sendIssuerResponse(target, { status: 204, headers: {}, body: null })
    expect(ended).toEqual(['{"ok":true}', undefined])
  })
})
