/**
 * The principal header the middleware signs for route handlers and server components
 * (CVE-2025-29927 defence): HMAC-SHA256 with `crypto.subtle` over a principal summary, an
 * expiry and a digest of the token it was verified from. Never contains the token itself.
 * Builds on no core function: the verification it stands for was done by core's `authenticate`.
 *
 * @see https://github.com/advisories/GHSA-f82v-jwr5-mffw (CVE-2025-29927)
 * @see https://www.rfc-editor.org/rfc/rfc2104 (HMAC)
 */
import { type Duration, type JWTClaims, type JWTHeader, type Principal, toMs } from '@keygate/core'
import { ConfigurationError } from '@keygate/core/errors'
import { decodeBase64url, encodeBase64url } from './base64url.js'

/** Name of the request header that carries the signed principal from the middleware. */
export const PRINCIPAL_HEADER = 'x-keygate-principal'

/** A request reaches its handler within milliseconds; one minute also covers a cold start. */
export const DEFAULT_PRINCIPAL_TTL_MS = 60_000

/** 256 bits, the HMAC-SHA256 block-size guidance of RFC 2104 §3 for a random key. */
const MIN_SECRET_LENGTH = 32

const VERSION = 'v1'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Options of `signPrincipal`. */
export interface SignPrincipalOptions {
  /** Shared secret of the middleware and the server code, at least 32 characters. */
  secret: string
  /** How long the header is valid. Default 60 s, and never past the token's `exp`. */
  ttl?: Duration
  /** Current time in ms since the epoch. Default `Date.now()`. */
  now?: number
}

/** Options of `verifyPrincipal`. */
export interface VerifyPrincipalOptions {
  secret: string
  /** The token the request carries: the header is accepted only for the token it was signed for. */
  token: string
  now?: number
}

interface Payload {
  e: number
  d: string
  s?: string | undefined
  i: string
  c: JWTClaims
  h: JWTHeader
  sc: readonly string[]
  p: readonly string[]
  g: readonly string[]
  r: readonly string[]
}

/**
 * Signs a verified principal into the value of `PRINCIPAL_HEADER`.
 *
 * @example
 * headers.set(PRINCIPAL_HEADER, await signPrincipal(result.principal, { secret }))
 * @see https://www.rfc-editor.org/rfc/rfc2104
 */
export async function signPrincipal(principal: Principal, options: SignPrincipalOptions): Promise<string> {
  const now = options.now ?? Date.now()
  const ttl = options.ttl === undefined ? DEFAULT_PRINCIPAL_TTL_MS : toMs(options.ttl)
  const exp =
    typeof principal.claims.exp === 'number' ? principal.claims.exp * 1000 : Number.POSITIVE_INFINITY
  const payload: Payload = {
    e: Math.min(now + ttl, exp),
    d: await digest(principal.token),
    s: principal.subject,
    i: principal.issuer,
    c: principal.claims,
    h: principal.header,
    sc: principal.scopes,
    p: principal.permissions,
    g: principal.groups,
    r: principal.roles,
  }
  const body = `${VERSION}.${encodeBase64url(encoder.encode(JSON.stringify(payload)))}`
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(options.secret), encoder.encode(body))
  return `${body}.${encodeBase64url(new Uint8Array(mac))}`
}

/**
 * Returns the principal of a `PRINCIPAL_HEADER` value when its MAC verifies, it has not
 * expired and it was signed for `token`; `undefined` otherwise — the caller then verifies the
 * token itself. `crypto.subtle.verify` compares the MAC in constant time.
 *
 * @example
 * const principal = await verifyPrincipal(request.headers.get(PRINCIPAL_HEADER) ?? '', { secret, token })
 */
export async function verifyPrincipal(
  value: string,
  options: VerifyPrincipalOptions,
): Promise<Principal | undefined> {
  const parts = value.split('.')
  if (parts.length !== 3 || parts[0] !== VERSION) return undefined
  const mac = decodeBase64url(parts[2]!)
  const json = decodeBase64url(parts[1]!)
  if (!mac || !json) return undefined
  const body = encoder.encode(`${parts[0]}.${parts[1]}`)
  if (!(await crypto.subtle.verify('HMAC', await hmacKey(options.secret), mac, body))) return undefined
  const payload = parsePayload(decoder.decode(json))
  if (!payload || payload.e <= (options.now ?? Date.now())) return undefined
  if (!timingSafeEqual(payload.d, await digest(options.token))) return undefined
  return {
    subject: payload.s,
    issuer: payload.i,
    claims: payload.c,
    header: payload.h,
    token: options.token,
    scopes: payload.sc,
    permissions: payload.p,
    groups: payload.g,
    roles: payload.r,
  }
}

/** Throws a `ConfigurationError` for a secret too short to resist guessing. */
export function assertSecret(secret: string): string {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigurationError(
      `The principal signing secret must be at least ${MIN_SECRET_LENGTH} characters`,
    )
  }
  return secret
}

// One key import per secret: importKey costs more than the HMAC itself.
let cached: { secret: string; key: Promise<CryptoKey> } | undefined
function hmacKey(secret: string): Promise<CryptoKey> {
  if (cached?.secret !== secret) {
    const raw = encoder.encode(assertSecret(secret))
    const key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    cached = { secret, key }
  }
  return cached.key
}

async function digest(token: string): Promise<string> {
  return encodeBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(token))))
}

function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// The MAC already proves the payload is ours; the shape check guards against a secret shared
// with something that signs other data.
function parsePayload(json: string): Payload | undefined {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!isObject(value)) return undefined
  const { e, d, s, i, c, h, sc, p, g, r } = value
  if (typeof e !== 'number' || typeof d !== 'string' || typeof i !== 'string') return undefined
  if (s !== undefined && typeof s !== 'string') return undefined
  if (!isObject(c) || !isObject(h) || typeof h.alg !== 'string') return undefined
  if (!isStrings(sc) || !isStrings(p) || !isStrings(g) || !isStrings(r)) return undefined
  return { e, d, s, i, c: c as JWTClaims, h: h as JWTHeader, sc, p, g, r }
}
