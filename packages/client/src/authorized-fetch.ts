import { retryAfterMs } from './retry-after.js'
import type { TokenSource } from './token-source.js'

/** `fetch`'s signature, without the extras some runtimes add to the global (Bun's `preconnect`). */
export type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

export interface AuthorizedFetchOptions {
  fetch: Fetch
  tokens: TokenSource
  /** Exact origins (`scheme://host[:port]`, as `URL#origin` spells them) that get the token. */
  origins: ReadonlySet<string>
  /** A 429/503 whose `Retry-After` is at most this is retried once after waiting; 0: never. */
  maxRetryAfterMs: number
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  wallClock: () => number
}

/** The Fetch standard's limit (https://fetch.spec.whatwg.org/#http-redirect-fetch, step 5). */
const MAX_REDIRECTS = 20
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
// Headers that describe a body: gone with the body when a redirect turns the request into a GET.
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
]
// Credentials that never cross to another origin on a redirect (the Fetch standard drops
// Authorization there too; Cookie and Proxy-Authorization as undici does).
const ORIGIN_BOUND_HEADERS = ['authorization', 'proxy-authorization', 'cookie']

/** The target URL of a fetch call, without constructing a Request (which would take a stream body). */
function targetURL(input: RequestInfo | URL): URL | undefined {
  const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  const base = (globalThis as { location?: { href?: string } }).location?.href
  try {
    return new URL(raw, base)
  } catch {
    return undefined
  }
}

/**
 * One request as the client sends it, however the caller gave it. `send` makes the first hop
 * (with the given headers and redirect mode); the rest describes what later hops need.
 */
interface Prepared {
  method: string
  headers: Headers
  signal: AbortSignal | undefined
  hasBody: boolean
  /** The body again, for a 307/308; `undefined` when it cannot be sent twice. */
  replayBody: (() => Promise<BodyInit>) | undefined
  send(headers: Headers, redirect: RequestRedirect): Promise<Response>
}

/** A body that can be read once only: it is sent once, never replayed. */
function isOneShot(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return true
  return Symbol.asyncIterator in body
}

/** `WWW-Authenticate: Bearer error="invalid_token"` — the token, not the request, was refused. */
function refusedToken(response: Response): boolean {
  const challenge = response.headers.get('www-authenticate')
  return challenge !== null && /\berror\s*=\s*"?invalid_token"?/i.test(challenge)
}

function discard(response: Response): Promise<void> {
  return response.body ? response.body.cancel().catch(() => {}) : Promise.resolve()
}

/**
 * The client's `fetch`: the token goes to the listed origins only, redirects are followed by
 * hand so it never reaches another origin, a refused token (401 `invalid_token`) is refreshed and
 * the request replayed once, and a short `Retry-After` on 429/503 is waited out once.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (invalid_token)
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.4 (redirects)
 */
export function createAuthorizedFetch(options: AuthorizedFetchOptions): Fetch {
  const { tokens, origins } = options
  const baseFetch = options.fetch
  let platformFollows = false

  /**
   * Sends the request (with the token on hops to its own origin) and follows redirects by hand.
   * Returns the final response and whether the token went with it.
   */
  async function sendFollowing(
    prepared: Prepared,
    target: URL,
    token: string,
    mode: RequestRedirect,
  ): Promise<{ response: Response; carried: boolean; opaque?: true }> {
    let url = target
    let method = prepared.method
    let headers = prepared.headers
    let body: BodyInit | null = null
    for (let hop = 0; ; hop++) {
      const outgoing = new Headers(headers)
      const carried = url.origin === target.origin
      if (carried) outgoing.set('authorization', `Bearer ${token}`)
      const response =
        hop === 0
          ? await prepared.send(outgoing, 'manual')
          : await baseFetch(url, {
              method,
              headers: outgoing,
              body,
              redirect: 'manual',
              signal: prepared.signal,
            })
      if (response.type === 'opaqueredirect') return { response, carried, opaque: true }
      if (!REDIRECT_STATUSES.has(response.status) || mode === 'manual') return { response, carried }
      const location = response.headers.get('location')
      if (location === null) return { response, carried }
      if (mode === 'error' || hop >= MAX_REDIRECTS) {
        await discard(response)
        throw new TypeError(
          mode === 'error' ? 'fetch failed: redirect mode is "error"' : 'fetch failed: too many redirects',
        )
      }
      const next = new URL(location, url)
      // RFC 9110 §15.4.2-4: a 303 (and, by long practice, a 301/302 after POST) becomes a GET
      // without a body; 307/308 repeat method and body.
      const toGet =
        (response.status === 303 && method !== 'GET' && method !== 'HEAD') ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      const nextHeaders = new Headers(headers)
      nextHeaders.delete('authorization')
      if (next.origin !== url.origin) for (const name of ORIGIN_BOUND_HEADERS) nextHeaders.delete(name)
      if (toGet) {
        method = 'GET'
        body = null
        for (const name of BODY_HEADERS) nextHeaders.delete(name)
      } else if (hop === 0 && prepared.hasBody) {
        // 307/308 with a body: it must be sent again, which a stream cannot be.
        if (!prepared.replayBody) return { response, carried }
        body = await prepared.replayBody()
      }
      await discard(response)
      headers = nextHeaders
      url = next
    }
  }

  /** The caller's request, ready to be sent as many times as its body allows. */
  function prepare(
    input: RequestInfo | URL,
    init: RequestInit | undefined,
    oneShot: boolean,
  ): () => Prepared {
    if (typeof input === 'string' || input instanceof URL) {
      // The common case, without building a Request per call: the init's body (a string,
      // bytes, a Blob, FormData, URLSearchParams) can be handed to fetch again as it is.
      const headers = new Headers(init?.headers)
      const body = init?.body ?? null
      const prepared: Prepared = {
        method: (init?.method ?? 'GET').toUpperCase(),
        headers,
        signal: init?.signal ?? undefined,
        hasBody: body !== null,
        replayBody: oneShot || body === null ? undefined : async () => body,
        send: (h, redirect) => baseFetch(input, { ...init, headers: h, redirect }),
      }
      return () => prepared
    }
    const original = new Request(input, init)
    // `original` itself is never sent when its body is replayable (each attempt sends a clone),
    // so a 307/308 can still read it.
    const replayBody = oneShot ? undefined : () => original.clone().arrayBuffer()
    return () => {
      const attempt = oneShot ? original : original.clone()
      return {
        method: original.method,
        headers: attempt.headers,
        signal: original.signal,
        hasBody: original.body !== null,
        replayBody,
        send: (h, redirect) => baseFetch(new Request(attempt, { headers: h, redirect })),
      }
    }
  }

  return async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = targetURL(input)
    // Anything outside the allowlist is fetched exactly as plain fetch would: the token never
    // leaves for an origin nobody listed (JWThenticator's client sends it to any URL).
    if (!url || !origins.has(url.origin)) return baseFetch(input, init)
    const oneShot = isOneShot(init?.body)
    const next = prepare(input, init, oneShot)
    let prepared = next()
    // A request that brings its own Authorization is the caller's business.
    if (prepared.headers.has('authorization'))
      return prepared.send(prepared.headers, init?.redirect ?? redirectOf(input))
    const mode = init?.redirect ?? redirectOf(input)
    const signal = prepared.signal
    let token = await tokens.get(signal)
    let follow = mode === 'follow' && platformFollows
    let refreshed = false
    let waited = false
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) prepared = next()
      const { response, carried, opaque } = follow
        ? { response: await prepared.send(withToken(prepared.headers, token), 'follow'), carried: true }
        : await sendFollowing(prepared, url, token, mode)
      if (opaque && mode === 'follow') {
        // A browser: 'manual' gives an opaque redirect without its Location. Browsers drop
        // Authorization on a cross-origin redirect themselves (Fetch standard, HTTP-redirect
        // fetch step 13), so this request is replayed with 'follow', and so is every later one.
        platformFollows = true
        if (oneShot) return response
        follow = true
        continue
      }
      if (response.status === 401 && carried && !refreshed && refusedToken(response)) {
        // The next call gets another token either way; this one is replayed only when its body
        // can be sent again. Refresh once and retry once: 403 (the token is fine, the permission
        // is not) and 503 (the server cannot check now) are never answered with a new token.
        tokens.invalidate(token)
        if (oneShot) return response
        refreshed = true
        await discard(response)
        token = await tokens.get(signal)
        continue
      }
      if ((response.status === 429 || response.status === 503) && !waited && !oneShot) {
        const wait = retryAfterMs(response.headers, options.wallClock)
        if (wait !== undefined && wait <= options.maxRetryAfterMs) {
          waited = true
          await discard(response)
          await options.sleep(wait, signal ?? NEVER)
          signal?.throwIfAborted()
          continue
        }
      }
      return response
    }
  }
}

function withToken(source: Headers, token: string): Headers {
  const headers = new Headers(source)
  headers.set('authorization', `Bearer ${token}`)
  return headers
}

function redirectOf(input: RequestInfo | URL): RequestRedirect {
  return typeof input === 'string' || input instanceof URL ? 'follow' : input.redirect
}

const NEVER = new AbortController().signal
