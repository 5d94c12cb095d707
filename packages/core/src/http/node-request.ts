/**
 * The bridge between Node's `http` request/response objects and `issuer.respond()`, for Node
 * frameworks (Express, Fastify, plain `node:http`): no fetch `Request` or `Response` is built,
 * the body is read from the Node stream with a limit, and the answer is written in one `end`.
 * Typed structurally so core needs neither `@types/node` nor a `node:*` import.
 */
import { InvalidRequestError } from '../errors.js'
import type { IssuerRequest, IssuerResponse } from '../issue/exchange.js'
import { concatBytes } from '../read-body.js'
import { type NodeHeaders, nodeHeaders } from './node-headers.js'

/**
 * The parts of Node's `IncomingMessage` the bridge reads. A Node stream (with `on`) is read by
 * its events, which costs Node less than async iteration; anything else is iterated.
 */
export interface NodeIncomingRequest extends AsyncIterable<Uint8Array | string> {
  method?: string
  url?: string
  headers: NodeHeaders
  /** Every header line as received: a repeated `Authorization` or `Content-Type` is seen. */
  rawHeaders?: readonly string[]
  readonly readableEnded?: boolean
  on?(event: string, listener: (...args: never[]) => void): unknown
  removeListener?(event: string, listener: (...args: never[]) => void): unknown
}

/** The parts of Node's `ServerResponse` the bridge writes. */
export interface NodeServerResponse {
  statusCode: number
  setHeader(name: string, value: string): unknown
  end(body?: string): unknown
}

/** Options of `toIssuerRequest`. */
export interface IssuerRequestOptions {
  /** Path and query; default `request.url` (use Express's `originalUrl` under a mount path). */
  url?: string
  /** A body the framework already read; otherwise the request stream is read when a route needs it. */
  body?: Uint8Array | string
  /** The peer address as the framework sees it (Express `req.ip`, Fastify `request.ip`). */
  clientAddress?: string
}

const encoder = new TextEncoder()

/**
 * The `IssuerRequest` of a Node request. Nothing is read from the stream unless a route reads
 * the body; then a declared `Content-Length` over the issuer's limit is refused before reading
 * and a stream that grows past it is abandoned — both a 400 `invalid_request`.
 *
 * @example
 * sendIssuerResponse(res, await issuer.respond(toIssuerRequest(req, { clientAddress: req.socket.remoteAddress })))
 */
export function toIssuerRequest(
  request: NodeIncomingRequest,
  options: IssuerRequestOptions = {},
): IssuerRequest {
  return {
    method: (request.method ?? 'GET').toUpperCase(),
    url: options.url ?? request.url ?? '/',
    headers: nodeHeaders(request.headers, request.rawHeaders),
    clientAddress: options.clientAddress,
    readBody: (maxBytes) => options.body ?? readNodeBody(request, maxBytes),
  }
}

async function readNodeBody(request: NodeIncomingRequest, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers['content-length']
  if (typeof declared === 'string' && Number(declared) > maxBytes) throw tooLarge()
  const chunks: Uint8Array[] = []
  let size = 0
  const add = (chunk: Uint8Array | string) => {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
    size += bytes.byteLength
    if (size > maxBytes) throw tooLarge()
    chunks.push(bytes)
  }
  if (request.on && request.removeListener) await readEvents(request as NodeStream, add)
  else {
    // Leaving the loop early (too large) ends the iteration: nothing more is buffered.
    for await (const chunk of request) add(chunk)
  }
  return concatBytes(chunks, size)
}

type NodeStream = Required<Pick<NodeIncomingRequest, 'on' | 'removeListener'>> & NodeIncomingRequest

/**
 * Feeds each chunk to `add` until the stream ends. When `add` throws (too large), the listeners
 * go and the rest of the body is left to Node, which discards it: the socket stays usable for
 * the 400 that follows.
 */
function readEvents(request: NodeStream, add: (chunk: Uint8Array | string) => void): Promise<void> {
  if (request.readableEnded) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const listeners: Record<string, (...args: never[]) => void> = {
      data: (chunk: Uint8Array | string) => {
        try {
          add(chunk)
        } catch (error) {
          done(error)
        }
      },
      end: () => done(undefined),
      error: (error: unknown) => done(error ?? new Error('request stream failed')),
      // Closed before `end`: the client went away mid-body.
      close: () => done(new Error('request closed before its body ended')),
    }
    const done = (error: unknown) => {
      for (const event in listeners) request.removeListener(event, listeners[event]!)
      if (error === undefined) resolve()
      else reject(error)
    }
    for (const event in listeners) request.on(event, listeners[event]!)
  })
}

const tooLarge = () => new InvalidRequestError('The request body is too large')

/**
 * Writes an `issuer.respond()` answer to a Node response: status, headers and body, in one `end`.
 *
 * @example sendIssuerResponse(res, await issuer.respond(toIssuerRequest(req)))
 */
export function sendIssuerResponse(target: NodeServerResponse, response: IssuerResponse): void {
  target.statusCode = response.status
  for (const name in response.headers) target.setHeader(name, response.headers[name]!)
  target.end(response.body ?? undefined)
}
