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

  function withToken(source: Headers, token: string): Headers {
    const headers = new Headers(source)
    headers.set('authorization', `Bearer ${token}`)
    return headers
  }

  /**
   * Sends `request` (with the token when its origin is the original one) and follows redirects
   * by hand. Returns the final response and whether the token went with it.
   */
  async function sendFollowing(
    first: Request,
    origin: string,
    token: string,
    mode: RequestRedirect,
    replayBody: (() => Promise<ArrayBuffer>) | undefined,
  ): Promise<{ response: Response; carried: boolean; opaque?: true }> {
    let request = first
    let url = new URL(first.url)
    let body: ArrayBuffer | null | undefined // undefined: still the original request's body
    for (let hop = 0; ; hop++) {
      const headers = new Headers(request.headers)
      const carried = url.origin === origin
      if (carried) headers.set('authorization', `Bearer ${token}`)
      const outgoing =
        body === undefined
          ? new Request(request, { headers, redirect: 'manual' })
          : new Request(url, {
              method: request.method,
              headers,
              body,
              redirect: 'manual',
              signal: first.signal,
              credentials: first.credentials,
              cache: first.cache,
              referrerPolicy: first.referrerPolicy,
            })
      const response = await baseFetch(outgoing)
      if (response.type === 'opaqueredirect') return { response, carried, opaque: true }
      if (!REDIRECT_STATUSES.has(response.status) || mode === 'manual') return { response, carried }
      const location = response.headers.get('location')
      if (location === null) return { response, carried }
      if (mode === 'error') {
        await discard(response)
        throw new TypeError('fetch failed: redirect mode is "error"')
      }
      if (hop >= MAX_REDIRECTS) {
        await discard(response)
        throw new TypeError('fetch failed: too many redirects')
      }
      const next = new URL(location, url)
      // RFC 9110 §15.4.2-4: a 303 (and, by long practice, a 301/302 after POST) becomes a GET
      // without a body; 307/308 repeat method and body.
      let method = request.method
      const toGet =
        (response.status === 303 && method !== 'GET' && method !== 'HEAD') ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      const nextHeaders = new Headers(request.headers)
      nextHeaders.delete('authorization')
      if (next.origin !== url.origin) for (const name of ORIGIN_BOUND_HEADERS) nextHeaders.delete(name)
      if (toGet) {
        method = 'GET'
        body = null
        for (const name of BODY_HEADERS) nextHeaders.delete(name)
      } else if (body === undefined && request.body !== null) {
        // 307/308 with a body: it must be sent again, which a stream cannot be.
        if (!replayBody) return { response, carried }
        body = await replayBody()
      }
      await discard(response)
      request = new Request(next, { method, headers: nextHeaders, signal: first.signal })
      if (body === undefined) body = null
      url = next
    }
  }

  return async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = targetURL(input)
    // Anything outside the allowlist is fetched exactly as plain fetch would: the token never
    // leaves for an origin nobody listed (JWThenticator's client sends it to any URL).
    if (!url || !origins.has(url.origin)) return baseFetch(input, init)
    const original = new Request(input, init)
    // A request that brings its own Authorization is the caller's business.
    if (original.headers.has('authorization')) return baseFetch(original)
    const oneShot = isOneShot(init?.body)
    const mode = original.redirect
    // `original` itself is never sent when its body is replayable (attempts send clones), so a
    // 307/308 can still read it.
    const replayBody = oneShot ? undefined : () => original.clone().arrayBuffer()
    const signal = original.signal
    let token = await tokens.get(signal)
    let follow = mode === 'follow' && platformFollows
    let refreshed = false
    let waited = false
    for (;;) {
      // A replayable body is cloned before sending, so a retry can send it again.
      const attempt = oneShot ? original : original.clone()
      const { response, carried, opaque } = follow
        ? {
            response: await baseFetch(attempt, { headers: withToken(attempt.headers, token) }),
            carried: true,
          }
        : await sendFollowing(attempt, url.origin, token, mode, replayBody)
      const replayable = !oneShot
      if (opaque && mode === 'follow') {
        // A browser: 'manual' gives an opaque redirect without its Location. Browsers drop
        // Authorization on a cross-origin redirect themselves (Fetch standard, HTTP-redirect
        // fetch step 13), so this request is replayed with 'follow', and so is every later one.
        platformFollows = true
        if (!replayable) return response
        follow = true
        continue
      }
      if (response.status === 401 && carried && !refreshed && refusedToken(response)) {
        // The next call gets another token either way; this one is replayed only when its body
        // can be sent again. Refresh once and retry once: 403 (the token is fine, the permission
        // is not) and 503 (the server cannot check now) are never answered with a new token.
        tokens.invalidate(token)
        if (!replayable) return response
        refreshed = true
        await discard(response)
        token = await tokens.get(signal)
        continue
      }
      if ((response.status === 429 || response.status === 503) && !waited && replayable) {
        const wait = retryAfterMs(response.headers, options.wallClock)
        if (wait !== undefined && wait <= options.maxRetryAfterMs) {
          waited = true
          await discard(response)
          await options.sleep(wait, signal)
          signal.throwIfAborted()
          continue
        }
      }
      return response
    }
  }
}
