/**
 * What the issuer's routes read and answer, as plain data. `issuer.respond` takes and returns
 * these directly — a Node server has its own request object and socket, and building a fetch
 * `Request` and `Response` around each exchange costs more CPU than a token's signature on
 * Node 20. `issuer.handle` is the same routes for fetch-style runtimes: it wraps a `Request`
 * into an `IssuerRequest` and the answer into a `Response`.
 */
import { readRequestText } from '../read-body.js'

/** The parts of a request every route may look at, without the body. */
export interface IssuerRequestHead {
  /** Upper-case HTTP method. */
  readonly method: string
  /** The request URL: absolute, or the path and query (`/token?x=1`). */
  readonly url: string
  /** Header lookup by case-insensitive name; repeated headers joined by `", "` (Fetch semantics). */
  readonly headers: { get(name: string): string | null }
  /**
   * The peer address as the server saw it (after its own proxy handling, e.g. Express's
   * `req.ip`); used for rate limiting unless `clientAddress`/`trustProxy` say otherwise.
   */
  readonly clientAddress?: string
}

/** A request for `issuer.respond`. */
export interface IssuerRequest extends IssuerRequestHead {
  /**
   * Reads the whole body. Called at most once, and only by routes that take a body. May stop and
   * throw an `AuthError` (e.g. `InvalidRequestError`) once more than `maxBytes` arrive; the issuer
   * refuses anything longer than `maxBytes` anyway, and any other failure is a 400. A string is
   * taken as the decoded text, bytes must be UTF-8.
   */
  readBody(maxBytes: number): Promise<string | Uint8Array> | string | Uint8Array
}

/** An answer of `issuer.respond`: status, lower-case header names, and a UTF-8 body or none. */
export interface IssuerResponse {
  status: number
  headers: Record<string, string>
  body: string | null
}

/**
 * An `IssuerRequest` over a fetch `Request`: the body is read with core's bounded reader. A
 * `Request` carries no peer address; pass the one the runtime knows, if any.
 */
export function fromWebRequest(request: Request, clientAddress?: string): IssuerRequest {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    clientAddress,
    readBody: (maxBytes) => readRequestText(request, maxBytes),
  }
}

/** The fetch `Response` of an answer. */
export function toWebResponse(response: IssuerResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers })
}
