import type { Fetch } from './authorized-fetch.js'
import { ClientClosedError, IssuerResponseError, IssuerUnavailableError } from './errors.js'
import { retryAfterMs } from './retry-after.js'

/** What every call to the issuer needs: the fetch to use, its timeout, and the client's life. */
export interface IssuerCallContext {
  fetch: Fetch
  timeoutMs: number
  /** Aborted by `client.close()`. */
  closed: AbortSignal
  wallClock: () => number
}

/** A grant as the client keeps it, whatever protocol obtained it. */
export interface Grant {
  accessToken: string
  /** The token's lifetime as the issuer said (`expires_in`), in ms. */
  expiresInMs: number
  refreshToken?: string
  scope?: string
}

/**
 * The two things a client asks an issuer. `refresh` resolves `undefined` when the refresh
 * token itself was refused, so the caller falls back to the key; everything else throws.
 */
export interface IssuerProtocol {
  readonly canAuthenticate: boolean
  authenticate(): Promise<Grant>
  refresh(refreshToken: string): Promise<Grant | undefined>
}

function timeoutSignal(ms: number, closed: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([timeout, closed])
  // Runtimes without AbortSignal.any: the timeout alone (close() then waits at most that long).
  return timeout
}

/**
 * One request to the issuer with the client's timeout. A network failure or a timeout is an
 * `IssuerUnavailableError`; the response is returned whatever its status.
 */
export async function callIssuer(ctx: IssuerCallContext, url: string, init: RequestInit): Promise<Response> {
  try {
    return await ctx.fetch(url, {
      ...init,
      signal: timeoutSignal(ctx.timeoutMs, ctx.closed),
      redirect: 'error',
    })
  } catch (error) {
    if (ctx.closed.aborted) throw new ClientClosedError('The client was closed')
    // The cause is a fetch error (no body, no credentials in it): kept for diagnosis.
    throw new IssuerUnavailableError('The issuer could not be reached', { cause: error })
  }
}

/** 429 and 5xx: the issuer is there but cannot serve now, and says when to come back (maybe). */
export function unavailable(
  ctx: IssuerCallContext,
  response: Response,
  oauthError?: string,
): IssuerUnavailableError {
  const wait = retryAfterMs(response.headers, ctx.wallClock)
  return new IssuerUnavailableError(`The issuer answered ${response.status}`, {
    status: response.status,
    oauthError,
    retryAfterMs: wait,
  })
}

/** The statuses by which an issuer says no to a credential (RFC 6749 §5.2; JWThenticator's 401). */
export const REFUSALS: ReadonlySet<number> = new Set([400, 401, 403])

/** True for the statuses that say "not now" rather than "no". */
export function isTransient(status: number): boolean {
  return status === 429 || status >= 500
}

/** The JSON body of a response, or `undefined` for anything that is not a JSON object. */
export async function readJSONObject(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = await response.json()
    return typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** A 200 whose body is not what the protocol promises. The body is not quoted: it may hold tokens. */
export function malformed(what: string): IssuerResponseError {
  return new IssuerResponseError(`The issuer's ${what} response is malformed`, { status: 200 })
}
