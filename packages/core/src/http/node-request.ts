/**
 * The bridge between Node's `http` request/response objects and the Web `Request`/`Response`
 * of `issuer.handle()`, for Node frameworks (Express, Fastify, plain `node:http`). Typed
 * structurally so core needs neither `@types/node` nor a `node:*` import.
 */
import { InvalidRequestError } from '../errors.js'
import type { NodeHeaders } from './node-headers.js'

/** The parts of Node's `IncomingMessage` the bridge reads. */
export interface NodeIncomingRequest extends AsyncIterable<Uint8Array | string> {
  method?: string
  url?: string
  headers: NodeHeaders
}

/** The parts of Node's `ServerResponse` the bridge writes. */
export interface NodeServerResponse {
  statusCode: number
  setHeader(name: string, value: string | string[]): unknown
  write(chunk: Uint8Array): boolean
  end(): unknown
  once(event: 'drain' | 'close', listener: () => void): unknown
  readonly destroyed?: boolean
}

/** Options of `toWebRequest`. */
export interface WebRequestOptions {
  /** `scheme://host` the URL is built on; take it from the framework (it knows about proxies). */
  origin: string
  /** Path and query; default `request.url` (use Express's `originalUrl` under a mount path). */
  url?: string
  /** A body the framework already read; otherwise the request stream is passed on. */
  body?: Uint8Array | string
  /** Largest body accepted from the stream. Default 64 KiB. */
  maxBodyBytes?: number
}

// Issuer requests are small forms and JSON; 64 KiB leaves ample room and caps memory per request.
const DEFAULT_MAX_BODY_BYTES = 64 * 1024
const encoder = new TextEncoder()

/**
 * Converts a Node request to a Web `Request`, streaming its body with a size limit. Throws
 * `InvalidRequestError` (400) when `Content-Length` already exceeds the limit; a stream that
 * grows past it errors, which the handler reading it reports.
 *
 * @example const response = await issuer.handle(toWebRequest(req, { origin: 'https://api.example' }))
 * @see https://fetch.spec.whatwg.org/#request-class
 */
export function toWebRequest(request: NodeIncomingRequest, options: WebRequestOptions): Request {
  const method = (request.method ?? 'GET').toUpperCase()
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    // HTTP/2 pseudo-headers (":path"…) are not valid Fetch header names.
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  const url = new URL(options.url ?? request.url ?? '/', options.origin)
  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (method !== 'GET' && method !== 'HEAD') {
    // A Node `Buffer` is a `Uint8Array` over an `ArrayBufferLike`, which fetch accepts at run time.
    if (options.body !== undefined) init.body = options.body as BodyInit
    else {
      const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
      const declared = Number(headers.get('content-length') ?? 0)
      if (declared > limit) throw new InvalidRequestError('The request body is too large')
      init.body = limitedStream(request, limit)
      // Required by the Fetch standard for a streamed request body.
      init.duplex = 'half'
    }
  }
  return new Request(url, init)
}

function limitedStream(
  source: AsyncIterable<Uint8Array | string>,
  limit: number,
): ReadableStream<Uint8Array> {
  // Created on the first read, and a high-water mark of 0: nothing is taken from the Node
  // stream unless the handler reads the body, so a caller can still pass the request on.
  let iterator: AsyncIterator<Uint8Array | string> | undefined
  let total = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= source[Symbol.asyncIterator]()
        const { value, done } = await iterator.next()
        if (done) return controller.close()
        const chunk = typeof value === 'string' ? encoder.encode(value) : value
        total += chunk.byteLength
        if (total > limit) {
          controller.error(new InvalidRequestError('The request body is too large'))
          await iterator.return?.()
          return
        }
        controller.enqueue(chunk)
      },
      async cancel() {
        await iterator?.return?.()
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * Writes a Web `Response` to a Node response: status, headers (each `Set-Cookie` kept
 * separate) and the body, streamed with back-pressure.
 *
 * @example await sendWebResponse(res, await issuer.handle(toWebRequest(req, { origin })))
 */
export async function sendWebResponse(target: NodeServerResponse, response: Response): Promise<void> {
  target.statusCode = response.status
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) target.setHeader('set-cookie', cookies)
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') target.setHeader(name, value)
  })
  if (!response.body) {
    target.end()
    return
  }
  const reader = response.body.getReader()
  // A client that goes away must not leave the handler's stream pending.
  target.once('close', () => void reader.cancel().catch(() => undefined))
  for (;;) {
    const { value, done } = await reader.read()
    if (done || target.destroyed) break
    if (!target.write(value)) {
      await new Promise<void>((resolve) => {
        target.once('drain', resolve)
        target.once('close', resolve)
      })
    }
  }
  target.end()
}
