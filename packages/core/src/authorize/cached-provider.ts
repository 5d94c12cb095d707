import { toMs } from '../duration.js'
import { ConfigurationError } from '../errors.js'
import { isPromiseLike, providerFailure, toValues, withTimeout } from './provider-call.js'
import type { AsyncProviderOptions, Provider, ProviderInput } from './types.js'

// Permissions change rarely, and a minute is how long a revoked grant may linger.
const DEFAULT_TTL_MS = 60_000
// Bounds memory at roughly a few MB even with long lists, whatever the number of users.
const DEFAULT_MAX = 10_000
// A directory slower than this hurts more as a dependency than a quick 503 does.
const DEFAULT_TIMEOUT_MS = 2_000

/** An async provider with a per-subject cache; the cache can be dropped when grants change. */
export interface CachedProvider extends Provider {
  /** Forgets one subject's entry (for one issuer, or for every issuer). */
  invalidate(subject: string, issuer?: string): void
  /** Forgets every entry. */
  clear(): void
  /** Number of cached subjects. */
  readonly size: number
}

interface Entry {
  readonly values: readonly string[]
  readonly expiresAt: number
  readonly subject: string
  readonly issuer: string
}

/**
 * Wraps an async provider (a database, a directory, an HTTP service) with a per-subject cache
 * (TTL, LRU bound), a timeout, and single-flight: concurrent calls for one subject share one
 * lookup. A failure or a timeout is a 503 `ProviderUnavailableError` and is never cached, so a
 * failing directory never turns into a silent empty list. Tokens without `sub` are not cached.
 *
 * @example
 * const groups = cachedProvider(async ({ claims }) => db.groupsOf(claims.sub), { ttl: '5m' })
 * createAuth({ issuer, audience, providers: { groups } })
 */
export function cachedProvider(fn: Provider, options: AsyncProviderOptions = {}): CachedProvider {
  if (typeof fn !== 'function') throw new ConfigurationError('cachedProvider(fn) needs a function')
  const ttl = toMs(options.ttl ?? DEFAULT_TTL_MS, 'cachedProvider ttl')
  const timeout = toMs(options.timeout ?? DEFAULT_TIMEOUT_MS, 'cachedProvider timeout')
  const max = options.max ?? DEFAULT_MAX
  if (!Number.isInteger(max) || max < 0)
    throw new ConfigurationError('cachedProvider max must be an integer ≥ 0')
  if (timeout <= 0) throw new ConfigurationError('cachedProvider timeout must be positive')
  const clock = options.clock ?? Date.now
  const what = `The ${fn.name || 'async'} provider`
  // Map iteration order is insertion order: re-inserting on a hit makes the first key the LRU.
  const entries = new Map<string, Entry>()
  const inFlight = new Map<string, Promise<readonly string[]>>()

  async function lookup(input: ProviderInput): Promise<readonly string[]> {
    let result: ReturnType<Provider>
    try {
      result = fn(input)
    } catch (error) {
      throw providerFailure(what, error)
    }
    try {
      const values = toValues(isPromiseLike(result) ? await withTimeout(result, timeout, what) : result, what)
      // Shared by every principal built from this entry: nobody may change what the next one sees.
      return Object.freeze([...values])
    } catch (error) {
      throw providerFailure(what, error)
    }
  }

  function store(key: string, entry: Entry): void {
    if (ttl === 0 || max === 0) return
    entries.delete(key)
    entries.set(key, entry)
    while (entries.size > max) entries.delete(entries.keys().next().value!)
  }

  const cached = (input: ProviderInput): readonly string[] | Promise<readonly string[]> => {
    const subject = input.claims.sub
    if (typeof subject !== 'string') return lookup(input)
    // NUL cannot occur in a URL issuer, so the key is unambiguous.
    const key = `${input.issuer}\u0000${subject}`
    const hit = entries.get(key)
    if (hit !== undefined) {
      if (clock() < hit.expiresAt) {
        entries.delete(key)
        entries.set(key, hit)
        return hit.values
      }
      entries.delete(key)
    }
    const pending = inFlight.get(key)
    if (pending !== undefined) return pending
    const started = lookup(input).then((values) => {
      // Only the call still registered may fill the cache: an invalidate() during the lookup wins.
      if (inFlight.get(key) === started) {
        store(key, { values, expiresAt: clock() + ttl, subject, issuer: input.issuer })
      }
      return values
    })
    const forget = () => {
      if (inFlight.get(key) === started) inFlight.delete(key)
    }
    started.then(forget, forget)
    inFlight.set(key, started)
    return started
  }

  Object.defineProperty(cached, 'name', { value: `cachedProvider(${fn.name || 'async'})` })
  return Object.defineProperties(cached, {
    invalidate: {
      value(subject: string, issuer?: string): void {
        for (const [key, entry] of entries) {
          if (entry.subject === subject && (issuer === undefined || entry.issuer === issuer))
            entries.delete(key)
        }
        for (const key of inFlight.keys()) {
          const [keyIssuer, keySubject] = key.split('\u0000')
          if (keySubject === subject && (issuer === undefined || keyIssuer === issuer)) inFlight.delete(key)
        }
      },
    },
    clear: {
      value(): void {
        entries.clear()
        inFlight.clear()
      },
    },
    size: { get: () => entries.size },
  }) as CachedProvider
}
