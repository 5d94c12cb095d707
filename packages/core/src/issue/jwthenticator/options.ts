import { toMs } from '../../duration.js'
import { ConfigurationError } from '../../errors.js'
import type { Duration } from '../../types.js'
import { RING_REFRESH_MS, type SigningPolicy } from '../key-ring.js'

/**
 * Options of the JWThenticator-compatible routes (`createIssuer({ jwthenticator: { … } })`).
 * Each maps to one of JWThenticator's environment variables, named in brackets.
 */
export interface JWThenticatorOptions {
  /**
   * Path prefix of these routes (`URL_PREFIX`), e.g. `'/jwthenticator'`. Absolute: it does not
   * sit under the issuer's `basePath`. Default `''`.
   */
  prefix?: string
  /** Serve the internal group, `/register_key` and `/is_key_registered` (`DISABLE_INTERNAL_API`). Default true. */
  internal?: boolean
  /** Serve the external group, `/authenticate`, `/refresh`, `/validate`, `/validate_request` (`DISABLE_EXTERNAL_API`). Default true. */
  external?: boolean
  /** Lifetime of the JWTs (`JWT_LEASE_TIME`). Default `'30m'`. */
  leaseTime?: Duration
  /** `aud` of the JWTs, always as a list (`JWT_AUDIENCE`); no `aud` claim when absent or empty. */
  audience?: string | readonly string[]
  /** Lifetime of a registered key, renewed by registering it again (`KEY_EXPIRY`). Default `'2d'`. */
  keyExpiry?: Duration
  /** Lifetime of a refresh token (`REFRESH_TOKEN_EXPIRY`). Default `'1d'`. */
  refreshTokenExpiry?: Duration
  /**
   * Credential the internal group requires as `Authorization: Bearer <adminToken>` (at least 32
   * characters; stored as a hash, compared in constant time). Without it the internal group is
   * open to anyone who can reach it, as in JWThenticator.
   */
  adminToken?: string
}

/** JWThenticator's `JWT_LEASE_TIME` default: 30 minutes. */
const DEFAULT_LEASE_TIME = '30m'
/**
 * JWThenticator's effective defaults: `KEY_EXPIRY` and `REFRESH_TOKEN_EXPIRY` are meant as 120 and
 * 60 days, but its `days_to_seconds` multiplies by 60·24 (minutes), so deployments actually run
 * with 172 800 s (2 days) and 86 400 s (1 day). Keygate keeps what those deployments see.
 */
const DEFAULT_KEY_EXPIRY = '2d'
const DEFAULT_REFRESH_TOKEN_EXPIRY = '1d'
/** Same floor as the issuer's own admin token. */
const MIN_ADMIN_TOKEN_LENGTH = 32

/** `JWThenticatorOptions` with defaults applied and constraints checked. */
export interface ResolvedJWThenticatorOptions {
  prefix: string
  internal: boolean
  external: boolean
  leaseMs: number
  audience: readonly string[]
  keyExpiryMs: number
  refreshExpiryMs: number
  adminToken: string | undefined
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConfigurationError(message)
}

function positive(value: Duration | undefined, fallback: string, name: string): number {
  const ms = toMs(value ?? fallback, name)
  check(ms > 0, `${name} must be positive`)
  return ms
}

/** Validates the options once, at construction; throws `ConfigurationError`. */
export function resolveJWThenticatorOptions(
  options: JWThenticatorOptions,
  policy: SigningPolicy,
): ResolvedJWThenticatorOptions {
  check(typeof options === 'object' && options !== null, 'jwthenticator must be an object')
  const prefix = (options.prefix ?? '').replace(/\/+$/, '')
  check(
    prefix === '' || (prefix.startsWith('/') && !/[?#\s]/.test(prefix)),
    "jwthenticator.prefix must be '' or a path starting with '/'",
  )
  const leaseMs = positive(options.leaseTime, DEFAULT_LEASE_TIME, 'jwthenticator.leaseTime')
  // A JWT must stay verifiable for its whole lease: its key stays published that long.
  check(
    leaseMs <= policy.retireAfter - RING_REFRESH_MS,
    'jwthenticator.leaseTime must be at least one minute shorter than signing.retireAfter',
  )
  const audienceList =
    options.audience === undefined
      ? []
      : typeof options.audience === 'string'
        ? [options.audience]
        : [...options.audience]
  check(
    audienceList.every((a) => typeof a === 'string' && a !== ''),
    'jwthenticator.audience must be a string or a list of non-empty strings',
  )
  const adminToken = options.adminToken
  check(
    adminToken === undefined ||
      (typeof adminToken === 'string' && adminToken.length >= MIN_ADMIN_TOKEN_LENGTH),
    `jwthenticator.adminToken must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`,
  )
  check(
    options.internal === undefined || typeof options.internal === 'boolean',
    'jwthenticator.internal must be a boolean',
  )
  check(
    options.external === undefined || typeof options.external === 'boolean',
    'jwthenticator.external must be a boolean',
  )
  return {
    prefix,
    internal: options.internal !== false,
    external: options.external !== false,
    leaseMs,
    audience: Object.freeze(audienceList),
    keyExpiryMs: positive(options.keyExpiry, DEFAULT_KEY_EXPIRY, 'jwthenticator.keyExpiry'),
    refreshExpiryMs: positive(
      options.refreshTokenExpiry,
      DEFAULT_REFRESH_TOKEN_EXPIRY,
      'jwthenticator.refreshTokenExpiry',
    ),
    adminToken,
  }
}
