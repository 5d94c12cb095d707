import { createAuthorizedFetch, type Fetch } from './authorized-fetch.js'
import { type Duration, toMs } from './duration.js'
import { ClientClosedError, ClientConfigurationError } from './errors.js'
import type { IssuerCallContext, IssuerProtocol } from './issuer-call.js'
import { createJWThenticatorProtocol } from './jwthenticator-protocol.js'
import { createOAuthProtocol } from './oauth-protocol.js'
import { type ClientEvent, createTokenSource } from './token-source.js'
import { createMemoryTokenStore, type TokenStore } from './token-store.js'

/** Refresh this long before the token runs out, so no call goes out with a token about to die. */
const DEFAULT_REFRESH_MARGIN_MS = 30_000
/** Up to this much more, at random, so the processes of one service do not refresh in step. */
const DEFAULT_REFRESH_JITTER_MS = 5_000
/** Issuer calls that take longer than this fail as `ERR_ISSUER_UNAVAILABLE`. */
const DEFAULT_TIMEOUT_MS = 10_000
/** First wait after a failed authentication; doubles with each failure up to the maximum. */
const DEFAULT_BACKOFF_INITIAL_MS = 1_000
/** A broken client asks the issuer at most this rarely; also caps an issuer's `Retry-After`. */
const DEFAULT_BACKOFF_MAX_MS = 300_000
/** A lease outlives any one issuer call (the timeout), so it is never lost mid-refresh. */
const DEFAULT_LEASE_TTL_MS = 15_000
/** How often a process that lost the lease looks for the winner's token. */
const DEFAULT_POLL_INTERVAL_MS = 50
/** A 429/503 with a `Retry-After` up to this is retried once; longer ones are returned. */
const DEFAULT_MAX_RETRY_AFTER_MS = 1_000

export interface ClientOptions {
  /** The issuer's URL (its `iss`); the token endpoint is discovered from its RFC 8414 metadata. In JWThenticator mode: the server's URL with its `URL_PREFIX`. */
  issuer: string
  /** The API key. Needed unless `refreshToken` is given. */
  key?: string
  /** Origins that get the token, exactly (`https://orders.internal`, `http://127.0.0.1:8080`). Required. */
  origins: readonly string[]
  /** Scope to ask for (`client_credentials`): a space-delimited string or a list. Default: all the key grants. */
  scope?: string | readonly string[]
  /** `'oauth'` (Keygate, any RFC 6749 token endpoint) or `'jwthenticator'` (`/authenticate`, `/refresh`). */
  protocol?: 'oauth' | 'jwthenticator'
  /** JWThenticator mode: the caller's identifier (a UUID), sent with the key. */
  identifier?: string
  /** OAuth `client_id`. Default: the id inside a Keygate key (`kg_<id>_…`). */
  clientId?: string
  /** Skips discovery (e.g. an issuer behind a `basePath`). */
  tokenEndpoint?: string
  /** A refresh token to start from (e.g. from `createToken`); the key is the fallback when it is refused. */
  refreshToken?: string
  refreshMargin?: Duration
  refreshJitter?: Duration
  /** Per issuer call. */
  timeout?: Duration
  backoff?: { initial?: Duration; max?: Duration }
  maxRetryAfter?: Duration
  /** Where tokens are kept; share one (`@keygate/redis`) so the processes of a service share one token. */
  store?: TokenStore
  /** Default: derived from issuer, client id (or identifier) and scope — never from the key. */
  storeKey?: string
  lease?: { ttl?: Duration; wait?: Duration; pollInterval?: Duration }
  /** The fetch to send everything with. Default: `globalThis.fetch`. */
  fetch?: Fetch
  /** Monotonic milliseconds. Default: `performance.now`. */
  now?: () => number
  /** Epoch milliseconds, only for tokens shared through the store. Default: `Date.now`. */
  wallClock?: () => number
  /** Waits (lease polling, `Retry-After`); resolves early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** In [0, 1). Default: `Math.random`. */
  random?: () => number
  onEvent?: (event: ClientEvent) => void
}

export interface Client {
  /** `fetch`, with the token for the listed origins: same signature, the real `Response`. */
  readonly fetch: Fetch
  /** The current access token, refreshing when needed. */
  getToken(options?: { signal?: AbortSignal }): Promise<string>
  /** GET with the token (JWThenticator's `get_with_auth`). */
  get(url: string | URL, init?: RequestInit): Promise<Response>
  /** POST with the token (`post_with_auth`); a plain object or array body is sent as JSON. */
  post(url: string | URL, body?: unknown, init?: RequestInit): Promise<Response>
  /** Stops waits and issuer calls in progress; later calls reject with `ClientClosedError`. */
  close(): void
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals)
  const controller = new AbortController()
  for (const signal of signals) {
    if (signal.aborted) controller.abort(signal.reason)
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true })
  }
  return controller.signal
}

function isBodyInit(value: unknown): value is BodyInit {
  return (
    typeof value === 'string' ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (typeof Blob !== 'undefined' && value instanceof Blob) ||
    (typeof FormData !== 'undefined' && value instanceof FormData) ||
    value instanceof URLSearchParams ||
    (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream)
  )
}

function parseOrigins(origins: unknown): Set<string> {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new ClientConfigurationError('origins must list at least one origin that may receive the token')
  }
  const set = new Set<string>()
  for (const origin of origins) {
    let url: URL
    try {
      url = new URL(String(origin))
    } catch {
      throw new ClientConfigurationError('origins must be absolute URLs like https://orders.internal')
    }
    // An origin is scheme, host and port only: a path here would suggest a rule that is not applied.
    if (url.origin === 'null' || `${url.origin}/` !== url.href.replace(/\/?$/, '/')) {
      throw new ClientConfigurationError('origins must be origins (scheme://host[:port]), without a path')
    }
    set.add(url.origin)
  }
  return set
}

function clientIdOf(key: string | undefined): string | undefined {
  // Keygate keys are kg_<16-char id>_<secret><checksum>: the id is public, the client_id.
  const match = key === undefined ? null : /^kg_([A-Za-z0-9]{16})_/.exec(key)
  return match?.[1]
}

/**
 * Creates a client for service-to-service calls: give it an API key and the issuer's URL, then
 * call `client.fetch` as you would `fetch`. It authenticates with the key, keeps the refresh
 * token, refreshes ahead of expiry, shares one refresh among concurrent calls (and, with a
 * shared store, among processes), and sends the token only to the listed origins.
 *
 * @example
 * const client = createClient({
 *   issuer: 'https://auth.example',
 *   key: process.env.KEYGATE_KEY,
 *   origins: ['https://orders.internal'],
 * })
 * const res = await client.fetch('https://orders.internal/orders')
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4 (client credentials)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (the Authorization header)
 */
export function createClient(options: ClientOptions): Client {
  if (typeof options !== 'object' || options === null)
    throw new ClientConfigurationError('options are required')
  // Kept as given: RFC 8414 §3.3 compares the metadata's issuer with it exactly.
  const issuer = options.issuer
  try {
    new URL(issuer)
  } catch {
    throw new ClientConfigurationError('issuer must be an absolute URL')
  }
  const key = options.key === undefined || options.key === '' ? undefined : options.key
  if (typeof key !== 'string' && key !== undefined) throw new ClientConfigurationError('key must be a string')
  if (key === undefined && options.refreshToken === undefined) {
    throw new ClientConfigurationError('key is required (or a refreshToken to start from)')
  }
  const origins = parseOrigins(options.origins)
  const protocolName = options.protocol ?? 'oauth'
  if (protocolName !== 'oauth' && protocolName !== 'jwthenticator') {
    throw new ClientConfigurationError("protocol must be 'oauth' or 'jwthenticator'")
  }
  const scope =
    options.scope === undefined
      ? undefined
      : typeof options.scope === 'string'
        ? options.scope
        : options.scope.join(' ')
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const now = options.now ?? (() => performance.now())
  const wallClock = options.wallClock ?? Date.now
  const sleep = options.sleep ?? defaultSleep
  const closing = new AbortController()
  const ctx: IssuerCallContext = {
    fetch: baseFetch,
    timeoutMs: toMs(options.timeout ?? DEFAULT_TIMEOUT_MS, 'timeout'),
    closed: closing.signal,
    wallClock,
  }

  let protocol: IssuerProtocol
  let identity: string
  if (protocolName === 'jwthenticator') {
    if (typeof options.identifier !== 'string' || options.identifier === '') {
      throw new ClientConfigurationError("identifier is required with protocol 'jwthenticator'")
    }
    identity = options.identifier
    protocol = createJWThenticatorProtocol(ctx, { server: issuer, identifier: options.identifier, key })
  } else {
    const clientId = options.clientId ?? clientIdOf(key)
    if (key !== undefined && clientId === undefined) {
      throw new ClientConfigurationError('clientId is required for a key that is not a Keygate key')
    }
    let tokenEndpoint: string | undefined
    if (options.tokenEndpoint !== undefined) {
      try {
        tokenEndpoint = new URL(options.tokenEndpoint).href
      } catch {
        throw new ClientConfigurationError('tokenEndpoint must be an absolute URL')
      }
    }
    // Without a key the refresh token's own id (kgr_<id>_…, public) names the chain.
    identity =
      clientId ?? `refresh:${/^kgr_([A-Za-z0-9]{16})_/.exec(options.refreshToken ?? '')?.[1] ?? 'token'}`
    protocol = createOAuthProtocol(ctx, { issuer, tokenEndpoint, clientId: clientId ?? '', key, scope })
  }

  const leaseTtlMs = toMs(options.lease?.ttl ?? DEFAULT_LEASE_TTL_MS, 'lease.ttl')
  const tokens = createTokenSource({
    protocol,
    store: options.store ?? createMemoryTokenStore(),
    // Never the key: a shared store is read by many, and its keys show up in monitoring.
    storeKey: options.storeKey ?? `keygate:client:${protocolName}:${issuer}:${identity}:${scope ?? ''}`,
    refreshToken: options.refreshToken,
    now,
    wallClock,
    random: options.random ?? Math.random,
    sleep,
    refreshMarginMs: toMs(options.refreshMargin ?? DEFAULT_REFRESH_MARGIN_MS, 'refreshMargin'),
    refreshJitterMs: toMs(options.refreshJitter ?? DEFAULT_REFRESH_JITTER_MS, 'refreshJitter'),
    backoffInitialMs: toMs(options.backoff?.initial ?? DEFAULT_BACKOFF_INITIAL_MS, 'backoff.initial'),
    backoffMaxMs: toMs(options.backoff?.max ?? DEFAULT_BACKOFF_MAX_MS, 'backoff.max'),
    leaseTtlMs,
    leaseWaitMs: toMs(options.lease?.wait ?? leaseTtlMs, 'lease.wait'),
    pollIntervalMs: Math.max(
      1,
      toMs(options.lease?.pollInterval ?? DEFAULT_POLL_INTERVAL_MS, 'lease.pollInterval'),
    ),
    closed: closing.signal,
    onEvent: options.onEvent,
  })

  const authorizedFetch = createAuthorizedFetch({
    fetch: baseFetch,
    tokens,
    origins,
    maxRetryAfterMs: toMs(options.maxRetryAfter ?? DEFAULT_MAX_RETRY_AFTER_MS, 'maxRetryAfter'),
    sleep: (ms, signal) => sleep(ms, anySignal([signal, closing.signal])),
    wallClock,
  })

  async function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    if (closing.signal.aborted) throw new ClientClosedError('The client was closed')
    return authorizedFetch(input, init)
  }

  return {
    fetch,
    getToken: (opts) => tokens.get(opts?.signal),
    get: (url, init) => fetch(url, { ...init, method: 'GET' }),
    post(url, body, init) {
      if (body === undefined || body === null || isBodyInit(body)) {
        return fetch(url, { ...init, method: 'POST', body: (body ?? null) as BodyInit | null })
      }
      const headers = new Headers(init?.headers)
      if (!headers.has('content-type')) headers.set('content-type', 'application/json')
      return fetch(url, { ...init, method: 'POST', headers, body: JSON.stringify(body) })
    },
    close() {
      closing.abort(new ClientClosedError('The client was closed'))
    },
  }
}
