import type { Clock, Duration, JWK, JWKS } from '../types.js'

/** What the verifier asks a source for: the token header's `kid` and `alg`. */
export interface KeySelector {
  kid?: string
  alg: string
}

/**
 * Where the verifier gets keys. Remote (cached, refreshed) and static sources implement it;
 * so can anyone's.
 */
export interface JWKSSource {
  /**
   * The key for this selector. Throws `KeyNotFoundError` when no key matches (after at most
   * one refetch per cooldown), `KeysUnavailableError` when keys cannot be had at all.
   */
  getKey(selector: KeySelector): Promise<JWK>
  /**
   * The key for this selector when it is at hand: held in memory, fresh, no I/O and nothing to
   * wait for. `undefined` means "ask `getKey`", never "no such key". Optional; with it, the
   * verifier checks a token without waiting on a promise for its key.
   */
  keyNow?(selector: KeySelector): JWK | undefined
  /**
   * Synchronous look at the keys held right now, without I/O: `undefined` before the first
   * load. The verifier's token cache uses it to drop entries whose key left the JWKS.
   */
  peek(): readonly JWK[] | undefined
  /** Forces a refetch (subject to single-flight); resolves when it is done. */
  reload(): Promise<void>
  /** Stops background refresh timers. Idempotent. */
  close(): void
}

/** A cached JWKS document as stored in a `KeyStore`; plain JSON so any store can hold it. */
export interface StoredJWKS {
  jwks: JWKS
  /** When it was fetched (ms since epoch). */
  fetchedAt: number
  /** When it should be refreshed (ms since epoch), from `Cache-Control` within the clamps. */
  expiresAt: number
  /** `ETag` of the response, for a conditional refetch (RFC 9110 §13.1.2). */
  etag?: string
  /** Verifications served from this copy, for the `usage` refresh strategy. */
  uses?: number
}

/**
 * A shared, async home for fetched JWKS documents: memory by default, Redis in
 * `@keygate/redis`. Lets many processes (or serverless instances) start warm and share one
 * upstream fetch. Implementations must tolerate concurrent callers.
 */
export interface KeyStore {
  get(key: string): Promise<StoredJWKS | undefined>
  set(key: string, value: StoredJWKS, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  /**
   * Optional cross-process lock so that only one process fetches upstream. Resolves `true`
   * when this caller got the lock for `ttlMs`; `false` when someone else holds it.
   */
  acquire?(key: string, ttlMs: number): Promise<boolean>
  release?(key: string): Promise<void>
}

/** `time`: refresh after max age. `usage`: after max uses. `both`: whichever comes first. */
export type RefreshStrategy = 'time' | 'usage' | 'both'

/**
 * Why a refresh started: `initial` (nothing held yet), `ahead` (refresh-ahead point passed),
 * `expired` (max age passed), `usage` (max uses reached), `kid_miss` (unknown `kid`), `manual`.
 */
export type RefreshReason = 'initial' | 'expired' | 'ahead' | 'usage' | 'kid_miss' | 'manual'

/** Events for logs and metrics. Payloads carry URIs, kids and counts — never tokens. */
export type JWKSEvent =
  | { type: 'fetch'; uri: string; status: number; durationMs: number; notModified: boolean }
  | { type: 'fetch_error'; uri: string; error: unknown; attempt: number; nextAttemptAt: number }
  | { type: 'refresh'; uri: string; reason: RefreshReason }
  | { type: 'stale_served'; uri: string; ageMs: number }
  | { type: 'kid_miss'; uri: string; kid: string | undefined }
  | { type: 'cooldown_hit'; uri: string; kid: string | undefined }
  /**
   * The JWKS publishes a key with private members (`d`, `k`, RSA CRT parameters): the key is
   * never used, and its owner should treat it as compromised (anyone can sign with it).
   */
  | { type: 'private_key'; uri: string; kid: string | undefined }

/** Cache policy of a remote JWKS; every field has a default next to where it is used. */
export interface JWKSCacheOptions {
  /** `time` (default), `usage` or `both`. */
  strategy?: RefreshStrategy
  /** Max age of a fetched JWKS before it must be refreshed. Default 10 min. */
  maxAge?: Duration
  /** Max verifications served from one fetched copy (`usage`/`both`). Default 100 000. */
  maxUses?: number
  /** Fraction of max age after which a background refresh starts. Default 0.8. */
  refreshAhead?: number
  /** Minimum time between two fetches caused by unknown `kid`s. Default 30 s. */
  cooldown?: Duration
  /** Bound on the negative cache of unknown `kid`s. Default 1000. */
  maxUnknownKids?: number
  /** How long past expiry a stale copy may be served while the endpoint fails. Default 1 h. */
  maxStale?: Duration
  /** Clamp for `Cache-Control: max-age`. Defaults 1 min and 24 h. */
  minMaxAge?: Duration
  maxMaxAge?: Duration
  /** Abort a fetch after this long. Default 5 s. */
  timeout?: Duration
  /** Largest accepted JWKS body. Default 512 KiB. */
  maxBodyBytes?: number
  /** First retry delay after a failure; doubles up to `maxBackoff`. Defaults 1 s and 5 min. */
  backoff?: Duration
  maxBackoff?: Duration
  /** Shared cache; memory by default. */
  store?: KeyStore
  /** Injected `fetch` (tests, proxies, instrumentation). */
  fetch?: typeof fetch
  /** Injected clock (ms since epoch). */
  clock?: Clock
  /** Observability hook; must not throw (errors from it are swallowed). */
  onEvent?: (event: JWKSEvent) => void
}
