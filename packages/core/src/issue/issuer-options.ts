import { toMs } from '../duration.js'
import { ConfigurationError } from '../errors.js'
import type { Clock } from '../types.js'
import type { IssuerRequestHead } from './exchange.js'
import { RING_REFRESH_MS, type SigningPolicy } from './key-ring.js'
import { createMemoryRateLimiter, type RateLimiter } from './rate-limiter.js'
import { DEFAULT_MAX_BODY_BYTES } from './request-body.js'
import { type RevocationSink, resolveRevocationSink } from './revocation-sink.js'
import type { IssuerStore, SigningAlgorithm } from './store.js'
import type { IssuerEvent, IssuerOptions } from './types.js'
import { checkAudience } from './validation.js'

/** Short-lived access tokens limit the damage of a leaked one; refresh tokens carry the session. */
const DEFAULT_ACCESS_TOKEN_TTL = '15m'
const DEFAULT_REFRESH_TOKEN_TTL = '30d'
/** Monthly rotation keeps key exposure bounded without making verifiers refetch often. */
const DEFAULT_ROTATE_EVERY = '30d'
/** A day of publication gives every verifier's JWKS cache (≤ 24 h by convention) time to see a new key. */
const DEFAULT_PUBLISH_AHEAD = '1d'
/** Two days covers the longest access token with margin for clock skew and stale processes. */
const DEFAULT_RETIRE_AFTER = '2d'
/** Long enough to retry a lost response, short enough that a stolen predecessor is soon useless. */
const DEFAULT_REFRESH_GRACE = '30s'
/** Ten wrong keys a minute per key id or address stops guessing without bothering real clients. */
const DEFAULT_MAX_FAILURES = 10
const DEFAULT_RATE_WINDOW = '1m'
const DEFAULT_ADDRESS_SCALE = 10
const DEFAULT_SLOWDOWN = '1s'
/** JWKS responses are cacheable for at most an hour: key changes propagate quickly. */
const MAX_JWKS_MAX_AGE_MS = 3_600_000
/** An admin token shorter than this is too guessable for a credential that creates keys. */
const MIN_ADMIN_TOKEN_LENGTH = 32
/** The algorithms the issuer signs with. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256']

/** `IssuerOptions` with every default applied and every constraint checked. */
export interface ResolvedIssuerOptions {
  issuer: string
  audience: string[]
  store: IssuerStore
  clock: Clock
  emit: (event: IssuerEvent) => void
  onRefresh: IssuerOptions['onRefresh']
  policy: SigningPolicy
  accessTtlMs: number
  refreshTtlMs: number
  issueRefreshTokens: boolean
  rotation: boolean
  graceMs: number
  limiter: RateLimiter | undefined
  addressScale: number
  slowdownMs: number
  adminToken: string | undefined
  basePath: string
  publicUrl: string
  clientAddress: (request: IssuerRequestHead) => string | undefined
  jwksMaxAgeMs: number
  maxBodyBytes: number
  revocations: RevocationSink | undefined
}

function positive(value: IssuerOptions['accessTokenTtl'], fallback: string, name: string): number {
  const ms = toMs(value ?? fallback, name)
  if (ms <= 0) throw new ConfigurationError(`${name} must be positive`)
  return ms
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConfigurationError(message)
}

/** Validates `createIssuer`'s options once, at construction; throws `ConfigurationError`. */
export function resolveIssuerOptions(options: IssuerOptions): ResolvedIssuerOptions {
  check(typeof options?.issuer === 'string' && URL.canParse(options.issuer), 'issuer must be an absolute URL')
  check(options.store !== undefined && options.store !== null, 'store is required')
  let audience: string[]
  try {
    audience = Object.freeze(checkAudience(options.audience)) as string[]
  } catch {
    throw new ConfigurationError('audience must be a non-empty string or array of strings')
  }
  const onEvent = options.onEvent
  const emit = (event: IssuerEvent) => {
    if (!onEvent) return
    try {
      onEvent(event)
    } catch {
      // An audit hook must not break issuing.
    }
  }

  const algorithm = options.signing?.algorithm ?? 'EdDSA'
  check(
    SIGNING_ALGORITHMS.includes(algorithm),
    `signing.algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`,
  )
  const policy: SigningPolicy = {
    algorithm,
    rotateEvery: positive(options.signing?.rotateEvery, DEFAULT_ROTATE_EVERY, 'signing.rotateEvery'),
    publishAhead: positive(options.signing?.publishAhead, DEFAULT_PUBLISH_AHEAD, 'signing.publishAhead'),
    retireAfter: positive(options.signing?.retireAfter, DEFAULT_RETIRE_AFTER, 'signing.retireAfter'),
  }
  const accessTtlMs = positive(options.accessTokenTtl, DEFAULT_ACCESS_TOKEN_TTL, 'accessTokenTtl')
  const refreshTtlMs = positive(options.refreshTokenTtl, DEFAULT_REFRESH_TOKEN_TTL, 'refreshTokenTtl')
  check(
    policy.publishAhead < policy.rotateEvery,
    'signing.publishAhead must be shorter than signing.rotateEvery',
  )
  // A retired key must stay published until every token it signed has expired — including
  // tokens another process signed with it before its key ring (reloaded every minute) noticed.
  check(
    policy.retireAfter >= accessTtlMs + RING_REFRESH_MS,
    'signing.retireAfter must be at least accessTokenTtl plus one minute',
  )
  check(refreshTtlMs > accessTtlMs, 'refreshTokenTtl must be longer than accessTokenTtl')
  const jwksMaxAgeMs =
    options.jwksMaxAge === undefined
      ? Math.min(MAX_JWKS_MAX_AGE_MS, policy.publishAhead / 2)
      : toMs(options.jwksMaxAge, 'jwksMaxAge')
  // A verifier holding a JWKS for max-age must learn of a new key before that key signs.
  check(jwksMaxAgeMs < policy.publishAhead, 'jwksMaxAge must be shorter than signing.publishAhead')
  const graceMs = toMs(
    options.refreshRotation?.graceWindow ?? DEFAULT_REFRESH_GRACE,
    'refreshRotation.graceWindow',
  )
  check(graceMs < refreshTtlMs, 'refreshRotation.graceWindow must be shorter than refreshTokenTtl')
  const adminToken = options.adminToken
  check(
    adminToken === undefined ||
      (typeof adminToken === 'string' && adminToken.length >= MIN_ADMIN_TOKEN_LENGTH),
    `adminToken must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`,
  )
  const basePath = options.basePath ?? ''
  check(
    basePath === '' || (basePath.startsWith('/') && !basePath.endsWith('/')),
    "basePath must be '' or start with '/' and not end with '/'",
  )
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  check(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0, 'maxBodyBytes must be a positive integer')
  const clock = options.clock ?? Date.now

  let limiter: RateLimiter | undefined
  let addressScale = DEFAULT_ADDRESS_SCALE
  let slowdownMs = 0
  if (options.rateLimit !== false) {
    addressScale = options.rateLimit?.addressScale ?? DEFAULT_ADDRESS_SCALE
    check(
      Number.isInteger(addressScale) && addressScale >= 1,
      'rateLimit.addressScale must be an integer of at least 1',
    )
    slowdownMs = toMs(options.rateLimit?.slowdown ?? DEFAULT_SLOWDOWN, 'rateLimit.slowdown')
    check(slowdownMs >= 0, 'rateLimit.slowdown must not be negative')
    const maxFailures = options.rateLimit?.maxFailures ?? DEFAULT_MAX_FAILURES
    check(
      Number.isInteger(maxFailures) && maxFailures > 0,
      'rateLimit.maxFailures must be a positive integer',
    )
    limiter =
      options.rateLimit?.limiter ??
      createMemoryRateLimiter({
        maxFailures,
        windowMs: positive(options.rateLimit?.window, DEFAULT_RATE_WINDOW, 'rateLimit.window'),
        clock,
      })
  }
  const clientAddress =
    options.clientAddress ??
    (options.trustProxy
      ? // The last entry is the one our own proxy added; earlier ones are whatever the client sent.
        (request: IssuerRequestHead) =>
          request.headers.get('x-forwarded-for')?.split(',').pop()?.trim() || undefined
      : (request: IssuerRequestHead) => request.clientAddress)

  return {
    issuer: options.issuer,
    audience,
    store: options.store,
    clock,
    emit,
    onRefresh: options.onRefresh,
    policy,
    accessTtlMs,
    refreshTtlMs,
    issueRefreshTokens: options.refreshTokens !== false,
    rotation: options.refreshRotation?.enabled !== false,
    graceMs,
    limiter,
    addressScale,
    slowdownMs,
    adminToken,
    basePath,
    publicUrl: (options.publicUrl ?? options.issuer.replace(/\/+$/, '') + basePath).replace(/\/+$/, ''),
    clientAddress,
    jwksMaxAgeMs,
    maxBodyBytes,
    revocations: resolveRevocationSink(options.revocations),
  }
}
