import { describe, expect, it } from 'vitest'
import { InvalidRequestError } from '../errors.js'
import {
  type NodeIncomingRequest,
  type NodeServerResponse,
  sendWebResponse,
  toWebRequest,
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

describe('toWebRequest', () => {
  it('copies method, URL, repeated headers and the body', async () => {
    const source = nodeRequest({
      method: 'post',
      url: '/token?x=1',
      headers: { 'content-type': 'text/plain', accept: ['a', 'b'], ':path': '/token' },
      chunks: ['hel', 'lo'],
    })
    const request = toWebRequest(source, { origin: 'http://127.0.0.1:8080' })
    expect(request.method).toBe('POST')
    expect(request.url).toBe('http://127.0.0.1:8080/token?x=1')
    expect(request.headers.get('accept')).toBe('a, b')
    expect(await request.text()).toBe('hello')
  })

  it('reads nothing from the Node stream until the body is read', async () => {
    const source = nodeRequest({ method: 'POST', url: '/', chunks: ['a'] })
    const request = toWebRequest(source, { origin: 'http://127.0.0.1' })
    await Promise.resolve()
    expect(source.reads()).toBe(0)
    expect(await request.text()).toBe('a')
  })

  it('prefers a body the framework already read, and ignores bodies of GET', async () => {
    const posted = toWebRequest(nodeRequest({ method: 'POST', chunks: ['stream'] }), {
      origin: 'http://h',
      body: 'read',
    })
    expect(await posted.text()).toBe('read')
    const get = toWebRequest(nodeRequest({ method: 'GET', chunks: ['x'] }), { origin: 'http://h' })
    expect(get.body).toBeNull()
  })

  it('rejects a declared length over the limit, and errors a stream that grows past it', async () => {
    const declared = nodeRequest({ method: 'POST', headers: { 'content-length': '11' } })
    expect(() => toWebRequest(declared, { origin: 'http://h', maxBodyBytes: 10 })).toThrow(
      InvalidRequestError,
    )
    const streamed = toWebRequest(nodeRequest({ method: 'POST', chunks: ['123456', '78901'] }), {
      origin: 'http://h',
      maxBodyBytes: 10,
    })
    await expect(streamed.text()).rejects.toThrow()
  })
})

describe('sendWebResponse', () => {
  it('writes status, headers with separate Set-Cookie values, and the body', async () => {
    const written: string[] = []
    const headers: Record<string, string | string[]> = {}
    let ended = false
    const target: NodeServerResponse = {
      statusCode: 200,
      setHeader: (name, value) => {
        headers[name] = value
      },
      write: (chunk) => {
        written.push(new TextDecoder().decode(chunk))
        return true
      },
      end: () => {
        ended = true
      },
      once: () => undefined,
    }
    const response = new Response('{"ok":true}', {
      status: 201,
      headers: { 'content-type': 'application/json' },
    })
    response.headers.append('set-cookie', 'a=1')
    response.headers.append('set-cookie', 'b=2')
    await sendWebResponse(target, response)
    expect(target.statusCode).toBe(201)
    expect(headers).toEqual({ 'set-cookie': ['a=1', 'b=2'], 'content-type': 'application/json' })
    expect(written.join('')).toBe('{"ok":true}')
    expect(ended).toBe(true)
  })
})
