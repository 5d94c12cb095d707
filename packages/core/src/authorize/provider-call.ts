import { AuthError, ProviderUnavailableError } from '../errors.js'

// A provider outage is usually short (a directory restarting, a pool exhausted): ask clients
// to come back soon rather than hammer it, and not so late that a recovered service idles.
const PROVIDER_RETRY_AFTER_S = 5

/** True for anything awaitable, including promises from another realm. */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * Maps a provider's failure to the 503 it stands for. Keygate errors a provider throws on
 * purpose pass through; anything else would otherwise become a silent empty list or a 500.
 */
export function providerFailure(what: string, error: unknown): AuthError {
  if (AuthError.is(error)) return error
  return new ProviderUnavailableError(`${what} failed`, PROVIDER_RETRY_AFTER_S, { cause: error })
}

/** Rejects with a `ProviderUnavailableError` when `promise` has not settled within `ms`; `what` names the provider. */
export function withTimeout<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ProviderUnavailableError(`${what} timed out`, PROVIDER_RETRY_AFTER_S))
    }, ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/**
 * A provider's result as a list of strings. Non-string entries are dropped like a claim's; a
 * result that is not a list at all is a broken provider and fails closed.
 */
export function toValues(result: unknown, what: string): readonly string[] {
  if (!Array.isArray(result)) {
    throw new ProviderUnavailableError(`${what} returned no list`, PROVIDER_RETRY_AFTER_S)
  }
  // A plain loop: this runs for every provider on every verification.
  for (let i = 0; i < result.length; i++) {
    if (typeof result[i] !== 'string')
      return result.filter((entry): entry is string => typeof entry === 'string')
  }
  return result as string[]
}
