import type { RequestLike } from '../types.js'

/** Node's `IncomingHttpHeaders` shape, without depending on `@types/node`. */
export type NodeHeaders = Record<string, string | string[] | undefined>

/** The parts of a Node request (`IncomingMessage`, Express's `req`) core reads. */
export interface NodeRequestLike {
  headers: NodeHeaders
  url?: string
  /** Every header line as received (`IncomingMessage#rawHeaders`): lets repeats be seen. */
  rawHeaders?: readonly string[]
}

// The headers of which Node keeps only the first when a request repeats them (see
// `IncomingMessage#headers`). A second `Authorization` would then go unseen; the raw lines keep
// every one.
const FIRST_ONLY = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
])

// Every value of `name` in the raw lines joined with ", " when it came more than once; `first`
// (Node's value, which the application may have rewritten) when it came once or not at all.
function allValues(rawHeaders: readonly string[], name: string, first: string): string {
  let joined = ''
  let seen = 0
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const rawName = rawHeaders[i]!
    if (rawName.length !== name.length || rawName.toLowerCase() !== name) continue
    const value = rawHeaders[i + 1]!.trim()
    joined = seen++ === 0 ? value : `${joined}, ${value}`
  }
  return seen > 1 ? joined : first
}

// One object per request, its `get` on the prototype: a closure per request cost two more
// allocations on every authenticated request.
class NodeHeaderView {
  constructor(
    private readonly headers: NodeHeaders,
    private readonly rawHeaders: readonly string[] | undefined,
  ) {}

  get(name: string): string | null {
    const lower = name.toLowerCase()
    const value = this.headers[lower]
    if (value === undefined) return null
    if (Array.isArray(value)) return value.join(', ')
    const raw = this.rawHeaders
    return raw !== undefined && FIRST_ONLY.has(lower) ? allValues(raw, lower, value) : value
  }
}

/**
 * Wraps Node's lower-cased header object (Express, Fastify, node:http) in the `headers.get()`
 * shape core reads. Repeated headers are joined with ", " as the Fetch standard does — with
 * `rawHeaders`, also those Node keeps only the first of — so two `Authorization` headers are
 * seen, and rejected, as two credentials.
 *
 * @example nodeHeaders(req.headers, req.rawHeaders).get('authorization')
 */
export function nodeHeaders(headers: NodeHeaders, rawHeaders?: readonly string[]): RequestLike['headers'] {
  return new NodeHeaderView(headers, rawHeaders)
}

/** A `RequestLike` over a Node request (`{ headers, url, rawHeaders }`), for `auth.authenticate`. */
export function fromNodeRequest(request: NodeRequestLike): RequestLike {
  return { headers: new NodeHeaderView(request.headers, request.rawHeaders), url: request.url }
}
