import { toMs } from '../duration.js'
import { ConfigurationError, KeyNotFoundError, KeysUnavailableError } from '../errors.js'
import type { JWK } from '../types.js'
import { freshnessFromCacheControl } from './cache-control.js'
import { checkIssuer, lookupJWKSUri } from './discovery.js'
import { FetchFailure, httpGet, parseJSON, retryAfterMs } from './http-get.js'
import { matchKey } from './match-key.js'
import { createMemoryKeyStore } from './memory-store.js'
import { createNegativeCache } from './negative-cache.js'
import { parseJWKS } from './parse-jwks.js'
import type {
  JWKSCacheOptions,
  JWKSEvent,
  JWKSSource,
  KeySelector,
  RefreshReason,
  RefreshStrategy,
  StoredJWKS,
} from './types.js'

/** Keys rotate in days; 10 minutes bounds how long a withdrawn key is still trusted. */
export const DEFAULT_MAX_AGE_MS = 10 * 60_000
/** Refresh in the background at 80 % of the max age, so no request waits for a scheduled refresh. */
export const DEFAULT_REFRESH_AHEAD = 0.8
/** At most one fetch per 30 s for unknown `kid`s: a flood of random kids cannot drive traffic upstream. */
export const DEFAULT_COOLDOWN_MS = 30_000
/** A JWKS endpoint that has not answered in 5 s is down for our purposes. */
export const DEFAULT_TIMEOUT_MS = 5_000
/** Serve a stale copy for up to an hour of outage: keys rarely change, a 503 for everyone is worse. */
export const DEFAULT_MAX_STALE_MS = 60 * 60_000
/** `Cache-Control` may not make us fetch more than once a minute… */
export const DEFAULT_MIN_MAX_AGE_MS = 60_000
/** …nor keep a copy for more than a day. */
export const DEFAULT_MAX_MAX_AGE_MS = 24 * 60 * 60_000
/** For the `usage` strategy: verifications served by one copy before it is refreshed. */
export const DEFAULT_MAX_USES = 100_000
/** Bound on remembered unknown `kid`s: memory stays fixed under a flood of random kids. */
export const DEFAULT_MAX_UNKNOWN_KIDS = 1000
/** Real JWK Sets are a few KiB; 512 KiB leaves room for large sets and none for abuse. */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024
/** First retry 1 s after a failure, doubling… */
export const DEFAULT_BACKOFF_MS = 1000
/** …up to 5 minutes between attempts while the endpoint keeps failing. */
export const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000
/** How often a process without keys looks at the store while another one holds the fetch lock. */
const LOCK_POLL_MS = 50
/** A process that has usable keys and finds the lock taken asks again after this long. */
const LOCK_BUSY_RETRY_MS = 1000
/** Extra lock lifetime beyond the worst-case fetch (discovery plus JWKS, each bounded by the timeout). */
const LOCK_MARGIN_MS = 1000

/**
 * Options of `createRemoteJWKS`: the cache policy plus where the keys are — a `jwksUri`, or an
 * `issuer` whose metadata names it (discovery). When both are given, `jwksUri` is used.
 */
export type RemoteJWKSOptions = JWKSCacheOptions &
  ({ jwksUri: string; issuer?: string } | { issuer: string; jwksUri?: string | undefined })

/** A remote JWKS source, with a few read-only views for operations and tests. */
export interface RemoteJWKS extends JWKSSource {
  /** The JWKS URL: configured, or discovered (`undefined` until discovery succeeded). */
  readonly jwksUri: string | undefined
  /** How many unknown `kid`s the negative cache holds right now (bounded by `maxUnknownKids`). */
  readonly unknownKids: number
  /** Resolves once no refresh is in flight (tests, graceful shutdown). */
  idle(): Promise<void>
}

interface Snapshot {
  stored: StoredJWKS
  keys: readonly JWK[]
  /** Verifications served from this copy by this process. */
  uses: number
  /** When `uses` reached `maxUses`; the `usage` strategy's notion of expiry. */
  exhaustedAt: number | undefined
}

/** `fresh`: serve. `ahead`: serve, refresh in background. `stale`: past expiry, within max-stale. `dead`: beyond. */
type Phase = 'fresh' | 'ahead' | 'stale' | 'dead'
/** `busy`: another process holds the fetch lock and we have usable keys, so we did not wait. */
type Outcome = 'ok' | 'failed' | 'busy'

const STRATEGIES: readonly RefreshStrategy[] = ['time', 'usage', 'both']

function positiveInteger(value: number, option: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConfigurationError(`${option} must be a positive integer`)
  return value
}

function checkJWKSUri(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch (error) {
    throw new ConfigurationError('jwksUri must be an absolute URL', { cause: error })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError('jwksUri must be an http(s) URL')
  }
  return value
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    ;(timer as unknown as { unref?: () => void }).unref?.()
  })
}

/**
 * A JWKS source over HTTP: fetches the issuer's key set (by URL or by discovery), caches it in
 * memory and in a shared `KeyStore`, refreshes it ahead of expiry in the background, serves a
 * stale copy through outages up to `maxStale`, and refetches at most once per cooldown for
 * unknown `kid`s. Concurrent misses share one fetch.
 *
 * Refreshes are started lazily by `getKey` calls, never by timers: nothing keeps a process
 * alive, nothing is lost when an edge runtime freezes an isolate between requests, and an idle
 * service makes no requests at all.
 *
 * @example
 * const jwks = createRemoteJWKS({ issuer: 'https://login.example.com', cooldown: '30s' })
 * const jwk = await jwks.getKey({ kid: header.kid, alg: header.alg })
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2
 */
export function createRemoteJWKS(options: RemoteJWKSOptions): RemoteJWKS {
  const configuredUri = typeof options.jwksUri === 'string' ? checkJWKSUri(options.jwksUri) : undefined
  const issuer = options.issuer
  if (configuredUri === undefined) {
    if (typeof issuer !== 'string')
      throw new ConfigurationError('createRemoteJWKS needs a jwksUri or an issuer')
    checkIssuer(issuer)
  }
  const strategy = options.strategy ?? 'time'
  if (!STRATEGIES.includes(strategy))
    throw new ConfigurationError('jwks.strategy must be time, usage or both')
  const maxAgeMs = toMs(options.maxAge ?? DEFAULT_MAX_AGE_MS, 'jwks.maxAge')
  const maxUses = positiveInteger(options.maxUses ?? DEFAULT_MAX_USES, 'jwks.maxUses')
  const refreshAhead = options.refreshAhead ?? DEFAULT_REFRESH_AHEAD
  if (!(refreshAhead > 0 && refreshAhead <= 1))
    throw new ConfigurationError('jwks.refreshAhead must be in (0, 1]')
  const cooldownMs = toMs(options.cooldown ?? DEFAULT_COOLDOWN_MS, 'jwks.cooldown')
  const maxUnknownKids = options.maxUnknownKids ?? DEFAULT_MAX_UNKNOWN_KIDS
  if (!Number.isSafeInteger(maxUnknownKids) || maxUnknownKids < 0) {
    throw new ConfigurationError('jwks.maxUnknownKids must be a non-negative integer')
  }
  const maxStaleMs = toMs(options.maxStale ?? DEFAULT_MAX_STALE_MS, 'jwks.maxStale')
  const minMaxAgeMs = toMs(options.minMaxAge ?? DEFAULT_MIN_MAX_AGE_MS, 'jwks.minMaxAge')
  const maxMaxAgeMs = toMs(options.maxMaxAge ?? DEFAULT_MAX_MAX_AGE_MS, 'jwks.maxMaxAge')
  if (minMaxAgeMs > maxMaxAgeMs) throw new ConfigurationError('jwks.minMaxAge must not exceed jwks.maxMaxAge')
  const timeoutMs = toMs(options.timeout ?? DEFAULT_TIMEOUT_MS, 'jwks.timeout')
  if (timeoutMs <= 0) throw new ConfigurationError('jwks.timeout must be positive')
  const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'jwks.maxBodyBytes')
  const backoffMs = toMs(options.backoff ?? DEFAULT_BACKOFF_MS, 'jwks.backoff')
  const maxBackoffMs = toMs(options.maxBackoff ?? DEFAULT_MAX_BACKOFF_MS, 'jwks.maxBackoff')
  const clock = options.clock ?? Date.now
  // Resolved at call time (not bound now) so a global fetch patched later is honoured.
  const fetchImpl: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const store = options.store ?? createMemoryKeyStore({ clock })
  const onEvent = options.onEvent
  const byTime = strategy !== 'usage'
  const byUse = strategy !== 'time'
  // Keyed by what was configured, so a discovering source finds a shared copy before discovering.
  const storeKey =
    configuredUri !== undefined ? `keygate:jwks:${configuredUri}` : `keygate:jwks:issuer:${issuer}`
  const lockKey = `${storeKey}:lock`
  const lockTtlMs = 3 * timeoutMs + LOCK_MARGIN_MS
  const bounds = { defaultMs: maxAgeMs, minMs: minMaxAgeMs, maxMs: maxMaxAgeMs }

  let jwksUri = configuredUri
  let current: Snapshot | undefined
  let inflight: Promise<Outcome> | undefined
  let failures = 0
  let nextAttemptAt = Number.NEGATIVE_INFINITY
  let busyUntil = Number.NEGATIVE_INFINITY
  let lastKidFetchAt = Number.NEGATIVE_INFINITY
  let lastError: unknown
  let closed = false
  const closer = new AbortController()
  const negative = createNegativeCache(maxUnknownKids)

  const label = () => jwksUri ?? issuer ?? ''

  function emit(event: JWKSEvent): void {
    if (!onEvent) return
    try {
      onEvent(event)
    } catch {
      // A logging hook must never break verification.
    }
  }

  function phaseOf(snap: Snapshot, now: number): Phase {
    let expiredAt = Number.POSITIVE_INFINITY
    if (byTime && now >= snap.stored.expiresAt) expiredAt = snap.stored.expiresAt
    if (byUse && snap.uses >= maxUses) {
      snap.exhaustedAt ??= now
      expiredAt = Math.min(expiredAt, snap.exhaustedAt)
    }
    if (expiredAt !== Number.POSITIVE_INFINITY) return now - expiredAt <= maxStaleMs ? 'stale' : 'dead'
    const { fetchedAt, expiresAt } = snap.stored
    if (byTime && now >= fetchedAt + (expiresAt - fetchedAt) * refreshAhead) return 'ahead'
    if (byUse && snap.uses >= maxUses * refreshAhead) return 'ahead'
    return 'fresh'
  }

  function countUse(snap: Snapshot, now: number): void {
    snap.uses += 1
    if (byUse && snap.uses >= maxUses) snap.exhaustedAt ??= now
  }

  function unavailable(): KeysUnavailableError {
    const retryAfter = Math.max(1, Math.ceil((nextAttemptAt - clock()) / 1000))
    return new KeysUnavailableError("The issuer's signing keys cannot be fetched", retryAfter, {
      cause: lastError,
    })
  }

  /** Makes `stored` the current copy; keeps the identity of unchanged keys (the verifier caches imports by it). */
  function adopt(stored: StoredJWKS): boolean {
    let keys: JWK[]
    try {
      keys = parseJWKS(stored.jwks).keys
    } catch {
      return false // a store holding garbage is treated as empty, not trusted
    }
    const previous = current
    const known = new Map(previous?.keys.map((key) => [JSON.stringify(key), key]))
    const merged = Object.freeze(keys.map((key) => known.get(JSON.stringify(key)) ?? key))
    const changed =
      !previous || merged.length !== previous.keys.length || merged.some((key, i) => key !== previous.keys[i])
    if (changed) negative.clear()
    const jwks = Object.freeze({ keys: merged as JWK[] })
    current = { stored: { ...stored, jwks }, keys: merged, uses: stored.uses ?? 0, exhaustedAt: undefined }
    return true
  }

  function recordFailure(error: unknown): void {
    failures += 1
    lastError = error
    let waitMs = Math.min(backoffMs * 2 ** (failures - 1), maxBackoffMs)
    // An endpoint that says when to come back (503/429 + Retry-After) is believed when it asks
    // for longer than our backoff, up to the longest backoff: hammering it would not help.
    const upstream = error instanceof FetchFailure ? error.retryAfterMs : undefined
    if (upstream !== undefined && upstream > waitMs) waitMs = Math.min(upstream, maxBackoffMs)
    nextAttemptAt = clock() + waitMs
    emit({ type: 'fetch_error', uri: label(), error, attempt: failures, nextAttemptAt })
  }

  async function resolveUri(): Promise<string> {
    if (jwksUri !== undefined) return jwksUri
    jwksUri = await lookupJWKSUri(issuer as string, {
      fetch: fetchImpl,
      timeoutMs,
      maxBodyBytes,
      signal: closer.signal,
    })
    return jwksUri
  }

  async function fetchUpstream(): Promise<void> {
    const uri = await resolveUri()
    const started = clock()
    const etag = current?.stored.etag
    const response = await httpGet(uri, {
      fetch: fetchImpl,
      timeoutMs,
      maxBodyBytes,
      headers: etag ? { 'if-none-match': etag } : {},
      signal: closer.signal,
    })
    const now = clock()
    const lifetime = freshnessFromCacheControl(response.headers.get('cache-control'), bounds)
    const notModified = response.status === 304 && current !== undefined && etag !== undefined
    if (notModified && current) {
      // RFC 9110 §15.4.5: the copy we hold is still current; only its freshness is renewed.
      current.stored = { ...current.stored, fetchedAt: now, expiresAt: now + lifetime, uses: 0 }
      current.uses = 0
      current.exhaustedAt = undefined
    } else if (response.status === 200) {
      const jwks = parseJWKS(parseJSON(response.text, response.status), response.status, (kid) =>
        emit({ type: 'private_key', uri, kid }),
      )
      const newEtag = response.headers.get('etag')
      const stored: StoredJWKS = { jwks, fetchedAt: now, expiresAt: now + lifetime, uses: 0 }
      if (newEtag) stored.etag = newEtag
      adopt(stored)
    } else {
      const wait =
        response.status === 503 || response.status === 429
          ? retryAfterMs(response.headers.get('retry-after'), now)
          : undefined
      throw new FetchFailure('status', `JWKS endpoint answered ${response.status}`, response.status, {
        retryAfterMs: wait,
      })
    }
    failures = 0
    nextAttemptAt = Number.NEGATIVE_INFINITY
    lastError = undefined
    emit({ type: 'fetch', uri, status: response.status, durationMs: now - started, notModified })
    const latest = current?.stored
    // Kept past expiry for as long as it may still be served stale.
    if (latest) await store.set(storeKey, latest, lifetime + maxStaleMs).catch(() => {})
  }

  /** Adopts a newer copy another process put in the store when it makes our fetch unnecessary. */
  async function adoptShared(reason: RefreshReason): Promise<boolean> {
    const shared = await store.get(storeKey).catch(() => undefined)
    if (!shared) return false
    if (current && !(shared.fetchedAt > current.stored.fetchedAt)) return false
    if (!adopt(shared) || !current) return false
    const now = clock()
    // The timestamp guard that works without shared promises (edge isolates): a copy fetched
    // within the cooldown, by anyone, answers a kid miss.
    if (reason === 'kid_miss') return now - current.stored.fetchedAt < cooldownMs
    const phase = phaseOf(current, now)
    return phase === 'fresh' || (reason === 'initial' && phase !== 'dead')
  }

  /** While another process holds the fetch lock, watch the store for its result. */
  async function waitForShared(): Promise<boolean> {
    const before = current?.stored.fetchedAt ?? Number.NEGATIVE_INFINITY
    for (let waited = 0; waited < lockTtlMs && !closed; waited += LOCK_POLL_MS) {
      await sleep(LOCK_POLL_MS)
      const shared = await store.get(storeKey).catch(() => undefined)
      if (shared && shared.fetchedAt > before && adopt(shared)) return true
    }
    return false
  }

  async function runRefresh(reason: RefreshReason): Promise<Outcome> {
    try {
      if (reason !== 'manual' && (await adoptShared(reason))) return 'ok'
      let lock: 'held' | 'busy' | 'none' = 'none'
      if (store.acquire) {
        // A broken lock must not stop us from fetching: proceed without it.
        lock = await store.acquire(lockKey, lockTtlMs).then(
          (got) => (got ? 'held' : 'busy'),
          () => 'none' as const,
        )
      }
      if (lock === 'busy') {
        const background = reason === 'ahead' || reason === 'expired' || reason === 'usage'
        if (background && current && phaseOf(current, clock()) !== 'dead') {
          busyUntil = clock() + LOCK_BUSY_RETRY_MS
          return 'busy'
        }
        if (await waitForShared()) return 'ok'
        // The holder delivered nothing within the lock's lifetime: fetch ourselves.
      }
      try {
        await fetchUpstream()
        return 'ok'
      } finally {
        if (lock === 'held') await store.release?.(lockKey).catch(() => {})
      }
    } catch (error) {
      recordFailure(error)
      return 'failed'
    }
  }

  /** Single-flight: every caller during a refresh shares its one fetch. */
  function refresh(reason: RefreshReason): Promise<Outcome> {
    if (inflight) return inflight
    emit({ type: 'refresh', uri: label(), reason })
    const run = runRefresh(reason).finally(() => {
      if (inflight === run) inflight = undefined
    })
    inflight = run
    return run
  }

  /** Starts a refresh the caller does not wait for, unless one runs or backoff says not yet. */
  function refreshInBackground(reason: RefreshReason, now: number): void {
    if (closed || inflight || now < nextAttemptAt || now < busyUntil) return
    void refresh(reason)
  }

  function notFound(ambiguous = false): KeyNotFoundError {
    return new KeyNotFoundError(
      ambiguous
        ? 'Several keys of the issuer fit a token without "kid"'
        : 'No key of the issuer matches the token "kid" and "alg"',
    )
  }

  // Hot path: a fresh local copy answers with synchronous work; anything else (no copy yet, a
  // stale or dead one, an unknown kid) is `resolveKey`'s.
  function keyNow(selector: KeySelector): JWK | undefined {
    const snap = current
    if (!snap) return undefined
    const now = clock()
    const phase = phaseOf(snap, now)
    if (phase !== 'fresh' && phase !== 'ahead') return undefined
    const found = matchKey(snap.keys, selector)
    if (!found.ok) return undefined
    countUse(snap, now)
    if (phase === 'ahead') refreshInBackground('ahead', now)
    return found.key
  }

  async function resolveKey(selector: KeySelector): Promise<JWK> {
    if (!current) {
      if (clock() < nextAttemptAt) throw unavailable()
      await refresh('initial')
      if (!current) throw unavailable()
    }
    let snap: Snapshot = current
    let now = clock()
    const phase = phaseOf(snap, now)
    if (phase === 'dead') {
      if (now < nextAttemptAt) throw unavailable()
      await refresh(byTime && now >= snap.stored.expiresAt ? 'expired' : 'usage')
      snap = current
      now = clock()
      if (phaseOf(snap, now) === 'dead') throw unavailable()
    } else if (phase === 'stale') {
      emit({ type: 'stale_served', uri: label(), ageMs: now - snap.stored.fetchedAt })
      refreshInBackground(byTime && now >= snap.stored.expiresAt ? 'expired' : 'usage', now)
    } else if (phase === 'ahead') {
      refreshInBackground('ahead', now)
    }

    const found = matchKey(snap.keys, selector)
    if (found.ok) {
      countUse(snap, now)
      return found.key
    }
    if (found.reason === 'ambiguous') throw notFound(true)

    // Unknown kid: one refetch per cooldown, then the negative cache answers.
    const missKey = selector.kid ?? `\u0000no-kid:${selector.alg}`
    emit({ type: 'kid_miss', uri: label(), kid: selector.kid })
    if (negative.has(missKey, now)) {
      emit({ type: 'cooldown_hit', uri: label(), kid: selector.kid })
      throw notFound()
    }
    // While the source is failing, an unknown kid may be a key rotated during the outage: that
    // is an outage (503, Retry-After), not a bad token, and the kid is not negative-cached. The
    // backoff alone decides when the next attempt may look for it.
    const failing = failures > 0
    if (failing && !closed && !inflight && now < nextAttemptAt) throw unavailable()
    const mayFetch =
      !closed &&
      (failing
        ? now >= nextAttemptAt
        : now - lastKidFetchAt >= cooldownMs &&
          now - snap.stored.fetchedAt >= cooldownMs &&
          now >= nextAttemptAt)
    if (!mayFetch && !inflight) {
      negative.add(missKey, now + cooldownMs)
      emit({ type: 'cooldown_hit', uri: label(), kid: selector.kid })
      throw notFound()
    }
    if (mayFetch) lastKidFetchAt = now
    const outcome = await refresh('kid_miss')
    snap = current
    now = clock()
    const retry = matchKey(snap.keys, selector)
    if (retry.ok) {
      countUse(snap, now)
      return retry.key
    }
    if (outcome === 'failed') throw unavailable()
    if (retry.reason === 'ambiguous') throw notFound(true)
    negative.add(missKey, now + cooldownMs)
    throw notFound()
  }

  return {
    getKey(selector: KeySelector): Promise<JWK> {
      const key = keyNow(selector)
      return key !== undefined ? Promise.resolve(key) : resolveKey(selector)
    },
    keyNow,
    peek() {
      return current?.keys
    },
    async reload() {
      const outcome = await refresh('manual')
      if (outcome === 'failed') throw unavailable()
    },
    close() {
      if (closed) return
      closed = true
      closer.abort()
    },
    async idle() {
      while (inflight) await inflight
    },
    get jwksUri() {
      return jwksUri
    },
    get unknownKids() {
      return negative.size
    },
  }
}
