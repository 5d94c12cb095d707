import { ClientClosedError, ClientError, RefreshError, withRetryAfter } from './errors.js'
import type { Grant, IssuerProtocol } from './issuer-call.js'
import type { StoredTokens, TokenStore } from './token-store.js'

/** What the client reports as it goes; for metrics and logs. Never carries a token or the key. */
export type ClientEvent =
  | { type: 'authenticated' }
  | { type: 'refreshed'; rotated: boolean }
  | { type: 'refresh_rejected' }
  | { type: 'adopted' }
  | { type: 'failed'; code: ClientError['code']; retryAfterMs: number }
  | { type: 'store_error'; operation: 'get' | 'set' | 'acquire' | 'release'; error: unknown }

export interface TokenSourceOptions {
  protocol: IssuerProtocol
  store: TokenStore
  storeKey: string
  refreshToken: string | undefined
  now: () => number
  wallClock: () => number
  random: () => number
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  refreshMarginMs: number
  refreshJitterMs: number
  backoffInitialMs: number
  backoffMaxMs: number
  leaseTtlMs: number
  leaseWaitMs: number
  pollIntervalMs: number
  closed: AbortSignal
  onEvent: ((event: ClientEvent) => void) | undefined
}

/** The token a process holds, with its deadlines on the monotonic clock. */
interface Held {
  tokens: StoredTokens
  /** From here on a call starts a refresh in the background and keeps using this token. */
  refreshAt: number
  /** From here on the token is not used: callers wait for its successor. */
  expiresAt: number
}

export interface TokenSource {
  get(signal?: AbortSignal | null): Promise<string>
  /** A resource server refused this token (`invalid_token`): the next `get` brings another one. */
  invalidate(token: string): void
}

/** Waits for a shared promise without letting one caller's abort cancel it for the others. */
function join<T>(promise: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * The token's life in one process: held until the refresh point (margin plus jitter before
 * `expires_in` runs out, on the monotonic clock), refreshed in the background between that and
 * expiry, obtained afresh after it. Every concurrent caller shares one flight; with a shared
 * store and a lease, every process shares one refresh too. Failures back off exponentially, so
 * a rejected key costs the issuer one request per backoff step, whatever the call rate.
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const { protocol, store, storeKey, now, wallClock, onEvent } = options
  let held: Held | undefined
  let flight: Promise<Held> | undefined
  /** Seeded from the options; a refresh token the issuer refused is never sent again. */
  let initialRefreshToken = options.refreshToken
  let refusedRefreshToken: string | undefined
  /** A token a resource server refused: never adopted from the store again. */
  let refusedAccessToken: string | undefined
  let lastLifetimeMs: number | undefined
  let failures = 0
  let blocked: { until: number; error: ClientError } | undefined

  function emit(event: ClientEvent) {
    if (!onEvent) return
    try {
      onEvent(event)
    } catch {
      // An observer's bug must not break token handling.
    }
  }

  /** How long before expiry a token is refreshed: margin plus jitter, at most half its life. */
  function lead(lifetimeMs: number): number {
    const wanted = options.refreshMarginMs + options.random() * options.refreshJitterMs
    return Math.min(wanted, lifetimeMs / 2)
  }

  function hold(tokens: StoredTokens, startedAt: number, lifetimeMs: number): Held {
    const expiresAt = startedAt + lifetimeMs
    held = { tokens, expiresAt, refreshAt: expiresAt - lead(lifetimeMs) }
    return held
  }

  // A store that fails must not stop the client: it then works alone, as without a store.
  async function safely<T>(
    operation: 'get' | 'set' | 'acquire' | 'release',
    run: () => Promise<T>,
    fallback: T,
  ): Promise<T> {
    try {
      return await run()
    } catch (error) {
      emit({ type: 'store_error', operation, error })
      return fallback
    }
  }

  /** A stored token another process (or client) obtained, good enough to use instead of asking. */
  function usable(stored: StoredTokens | undefined, replacing: string | undefined): stored is StoredTokens {
    if (!stored || typeof stored.accessToken !== 'string' || typeof stored.expiresAt !== 'number')
      return false
    if (stored.accessToken === replacing || stored.accessToken === refusedAccessToken) return false
    const remaining = stored.expiresAt - wallClock()
    return remaining > Math.min(options.refreshMarginMs, (lastLifetimeMs ?? Number.POSITIVE_INFINITY) / 2)
  }

  function adopt(stored: StoredTokens): Held {
    emit({ type: 'adopted' })
    // Across processes only the wall clock is shared; within this one it becomes monotonic again.
    const remaining = stored.expiresAt - wallClock()
    return hold({ ...stored }, now(), remaining)
  }

  async function waitForWinner(replacing: string | undefined): Promise<StoredTokens | undefined> {
    const deadline = now() + options.leaseWaitMs
    while (now() < deadline) {
      await options.sleep(options.pollIntervalMs, options.closed)
      if (options.closed.aborted) throw new ClientClosedError('The client was closed')
      const stored = await safely('get', () => store.get(storeKey), undefined)
      if (usable(stored, replacing)) return stored
    }
    return undefined
  }

  async function exchange(refreshToken: string | undefined): Promise<{ grant: Grant; startedAt: number }> {
    if (refreshToken !== undefined && refreshToken !== refusedRefreshToken) {
      const startedAt = now()
      const grant = await protocol.refresh(refreshToken)
      if (grant) {
        emit({
          type: 'refreshed',
          rotated: grant.refreshToken !== undefined && grant.refreshToken !== refreshToken,
        })
        // Rotation keeps the successor; an issuer that sends none leaves the old one in place.
        return { grant: { ...grant, refreshToken: grant.refreshToken ?? refreshToken }, startedAt }
      }
      emit({ type: 'refresh_rejected' })
      refusedRefreshToken = refreshToken
      if (initialRefreshToken === refreshToken) initialRefreshToken = undefined
    }
    if (!protocol.canAuthenticate) {
      throw new RefreshError('The issuer refused the refresh token and there is no API key to fall back to')
    }
    const startedAt = now()
    const grant = await protocol.authenticate()
    emit({ type: 'authenticated' })
    return { grant, startedAt }
  }

  async function obtainShared(): Promise<Held> {
    const replacing = held?.tokens.accessToken
    const stored = await safely('get', () => store.get(storeKey), undefined)
    if (usable(stored, replacing)) return adopt(stored)
    let leased = false
    if (store.acquire) {
      leased = await safely('acquire', () => store.acquire!(storeKey, options.leaseTtlMs), true)
      if (!leased) {
        const won = await waitForWinner(replacing)
        if (won) return adopt(won)
        // The holder did not deliver within the wait (it died, or the issuer is slow): this
        // process goes ahead. Bounded either way.
      }
    }
    try {
      const latest = await (leased ? safely('get', () => store.get(storeKey), undefined) : stored)
      if (leased && usable(latest, replacing)) return adopt(latest)
      // The store's refresh token is the newest one (another process may have rotated it).
      const refreshToken = latest?.refreshToken ?? held?.tokens.refreshToken ?? initialRefreshToken
      const { grant, startedAt } = await exchange(refreshToken)
      lastLifetimeMs = grant.expiresInMs
      const tokens: StoredTokens = {
        accessToken: grant.accessToken,
        expiresAt: wallClock() + grant.expiresInMs,
        ...(grant.refreshToken === undefined ? {} : { refreshToken: grant.refreshToken }),
        ...(grant.scope === undefined ? {} : { scope: grant.scope }),
      }
      const next = hold(tokens, startedAt, grant.expiresInMs)
      await safely('set', () => store.set(storeKey, tokens, grant.expiresInMs), undefined)
      return next
    } finally {
      if (leased && store.release) await safely('release', () => store.release!(storeKey), undefined)
    }
  }

  async function obtain(): Promise<Held> {
    if (options.closed.aborted) throw new ClientClosedError('The client was closed')
    const start = now()
    if (blocked && start < blocked.until) throw withRetryAfter(blocked.error, blocked.until - start)
    try {
      const next = await obtainShared()
      failures = 0
      blocked = undefined
      return next
    } catch (error) {
      if (ClientError.is(error) && error.code !== 'ERR_CLIENT_CLOSED') {
        failures += 1
        const backoff = Math.min(options.backoffMaxMs, options.backoffInitialMs * 2 ** (failures - 1))
        const wait = Math.max(backoff, Math.min(error.retryAfterMs ?? 0, options.backoffMaxMs))
        blocked = { until: now() + wait, error }
        emit({ type: 'failed', code: error.code, retryAfterMs: wait })
        throw withRetryAfter(error, wait)
      }
      throw error
    }
  }

  function shared(): Promise<Held> {
    if (!flight) {
      flight = obtain().finally(() => {
        flight = undefined
      })
      // Every caller handles the outcome through join(); one that has left (aborted) must not
      // turn the shared failure into an unhandled rejection.
      flight.catch(() => {})
    }
    return flight
  }

  return {
    async get(signal) {
      if (options.closed.aborted) throw new ClientClosedError('The client was closed')
      const at = now()
      const current = held
      if (current && at < current.refreshAt) return current.tokens.accessToken
      if (current && at < current.expiresAt) {
        // Ahead of expiry: one background refresh, callers keep the token meanwhile. A failure
        // is remembered by the backoff and the token serves until it expires.
        if (!(blocked && at < blocked.until)) shared().catch(() => {})
        return current.tokens.accessToken
      }
      let next = await join(shared(), signal)
      // Joined a flight that began before a resource server refused the token it brings.
      if (next.tokens.accessToken === refusedAccessToken) next = await join(shared(), signal)
      return next.tokens.accessToken
    },

    invalidate(token) {
      refusedAccessToken = token
      if (held?.tokens.accessToken === token) held = { ...held, refreshAt: -Infinity, expiresAt: -Infinity }
    },
  }
}
