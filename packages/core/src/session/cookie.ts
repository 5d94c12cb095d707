/**
 * The cookies of browser sessions: names with the prefix their attributes allow, `Set-Cookie`
 * values, and reading one cookie back from a `Cookie` header.
 *
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis (RFC 6265bis)
 */
import { ConfigurationError } from '../errors.js'
import type { SameSite, SessionCookieOptions } from './types.js'

/** A cookie's fixed attributes, resolved once at construction. */
export interface CookieSpec {
  /** Name without prefix. */
  name: string
  path: string
  sameSite: SameSite
  domain: string | undefined
}

// RFC 6265 §4.1.1 cookie-name is an RFC 2616 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// A host name, or a leading-dot domain: no `;`, spaces or control characters can reach the header.
const DOMAIN = /^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/
const SAME_SITE: readonly SameSite[] = ['Strict', 'Lax', 'None']

/** Validates a cookie's options; `path` was validated by the caller. */
export function cookieSpec(
  options: SessionCookieOptions | undefined,
  defaultName: string,
  path: string,
  option: string,
): CookieSpec {
  const name = options?.name ?? defaultName
  if (typeof name !== 'string' || !TOKEN.test(name) || name.startsWith('__')) {
    throw new ConfigurationError(`${option}.name must be a cookie-name token without a __ prefix`)
  }
  const sameSite = options?.sameSite ?? 'Strict'
  if (!SAME_SITE.includes(sameSite)) {
    throw new ConfigurationError(`${option}.sameSite must be 'Strict', 'Lax' or 'None'`)
  }
  const domain = options?.domain
  if (domain !== undefined && (typeof domain !== 'string' || !DOMAIN.test(domain))) {
    throw new ConfigurationError(`${option}.domain must be a domain name`)
  }
  return { name, path, sameSite, domain }
}

/**
 * The cookie's name as set: `__Host-` when the attributes allow it (Secure, `Path=/`, no
 * `Domain`: the cookie is bound to this host and cannot be set or shadowed by a subdomain),
 * else `__Secure-` (Secure only: a non-secure origin cannot set or overwrite it). An insecure
 * development cookie gets no prefix, as browsers refuse prefixed cookies without `Secure`.
 *
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3
 */
export function cookieName(spec: CookieSpec, secure: boolean): string {
  if (!secure) return spec.name
  return spec.path === '/' && spec.domain === undefined ? `__Host-${spec.name}` : `__Secure-${spec.name}`
}

/**
 * A `Set-Cookie` value. HttpOnly always: scripts, and so an XSS, never read these cookies.
 * `Max-Age` (never `Expires`, which depends on the client's clock) when known; `0` deletes.
 */
export function setCookie(
  spec: CookieSpec,
  secure: boolean,
  value: string,
  maxAge: number | undefined,
): string {
  let cookie = `${cookieName(spec, secure)}=${value}; Path=${spec.path}`
  if (spec.domain !== undefined) cookie += `; Domain=${spec.domain}`
  if (maxAge !== undefined) cookie += `; Max-Age=${maxAge}`
  cookie += '; HttpOnly'
  if (secure) cookie += '; Secure'
  return `${cookie}; SameSite=${spec.sameSite}`
}

/** The `Set-Cookie` value that deletes the cookie: same name, path and domain, `Max-Age=0`. */
export function clearCookie(spec: CookieSpec, secure: boolean): string {
  return setCookie(spec, secure, '', 0)
}

/**
 * The value of the first cookie named `name` in a `Cookie` header, or undefined. Browsers list
 * cookies with longer paths first, then older ones (RFC 6265bis §5.8.3), so the first is ours.
 */
export function readCookie(header: string | null, name: string): string | undefined {
  if (header === null) return undefined
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue
    let value = pair.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    return value === '' ? undefined : value
  }
  return undefined
}
