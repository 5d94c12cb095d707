/**
 * One bounded GET for key material: a timeout that holds even when an injected `fetch` ignores
 * its signal, and a body size limit enforced while streaming, so a hostile or broken endpoint
 * can cost neither unbounded time nor unbounded memory.
 */

import { scanJSON } from '../json-scan.js'
import { BodyReadError, readBodyText } from '../read-body.js'

/**
 * Bounds of a key or metadata document, checked before parsing: real ones nest 3 levels and
 * hold a few hundred values, while 512 KiB of nested brackets stalls the event loop and
 * overflows recursive walks. Generous both ways (1000 RSA keys with chains fit).
 */
export const JSON_DOCUMENT_BOUNDS = { maxDepth: 16, maxValues: 50_000 } as const

/** Why a fetch of key material failed; carried as the `cause` of the error users see. */
export type FetchFailureReason =
  | 'network'
  | 'timeout'
  | 'status'
  | 'too_large'
  | 'encoding'
  | 'json'
  | 'shape'
  | 'issuer'

/** A failed fetch of a JWKS or discovery document. Internal: users see `KeysUnavailableError`. */
export class FetchFailure extends Error {
  /** The server's `Retry-After` (on 503 and 429), in milliseconds from when it answered. */
  readonly retryAfterMs: number | undefined

  constructor(
    readonly reason: FetchFailureReason,
    message: string,
    /** HTTP status when the server answered. */
    readonly status = 0,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FetchFailure'
    this.retryAfterMs = options?.retryAfterMs
  }
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) in milliseconds from `now`: delay-seconds or an HTTP-date;
 * `undefined` when absent or unreadable.
 *
 * @example retryAfterMs('120', Date.now()) // 120000
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export interface HTTPGetOptions {
  fetch: typeof fetch
  timeoutMs: number
  maxBodyBytes: number
  headers?: Record<string, string>
  /** Aborts the request from outside (the source was closed). */
  signal?: AbortSignal
}

export interface HTTPGetResult {
  status: number
  headers: Headers
  /** Body text for 200 responses; empty otherwise. */
  text: string
}

/** GETs `url`; rejects with a `FetchFailure` on network error, timeout or an oversized body. */
export async function httpGet(url: string, options: HTTPGetOptions): Promise<HTTPGetResult> {
  const controller = new AbortController()
  const onOuterAbort = () => controller.abort()
  if (options.signal?.aborted) controller.abort()
  options.signal?.addEventListener('abort', onOuterAbort)
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new FetchFailure('timeout', `no answer within ${options.timeoutMs} ms`))
    }, options.timeoutMs)
    // A pending timeout must never keep a Node process alive.
    ;(timer as unknown as { unref?: () => void }).unref?.()
  })
  try {
    return await Promise.race([request(url, options, controller.signal), timeout])
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onOuterAbort)
  }
}

async function request(url: string, options: HTTPGetOptions, signal: AbortSignal): Promise<HTTPGetResult> {
  let response: Response
  try {
    response = await options.fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json', ...options.headers },
      signal,
    })
  } catch (error) {
    throw new FetchFailure(signal.aborted ? 'timeout' : 'network', 'request failed', 0, { cause: error })
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {})
    return { status: response.status, headers: response.headers, text: '' }
  }
  const text = await readText(response, options.maxBodyBytes, signal)
  return { status: response.status, headers: response.headers, text }
}

async function readText(response: Response, limit: number, signal: AbortSignal): Promise<string> {
  try {
    return await readBodyText(response, limit)
  } catch (error) {
    if (!(error instanceof BodyReadError)) throw error
    const kind = error.reason === 'read' ? (signal.aborted ? 'timeout' : 'network') : error.reason
    throw new FetchFailure(kind, `body ${error.reason}`, response.status, { cause: error.cause })
  }
}

/**
 * Parses a JSON body within `JSON_DOCUMENT_BOUNDS`; anything else is a `FetchFailure`, never a
 * `SyntaxError` or a `RangeError` escaping.
 */
export function parseJSON(text: string, status: number): unknown {
  const scan = scanJSON(text, JSON_DOCUMENT_BOUNDS)
  if (!scan.ok) throw new FetchFailure('json', `body exceeds the JSON ${scan.reason} limit`, status)
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new FetchFailure('json', 'body is not JSON', status, { cause: error })
  }
}
