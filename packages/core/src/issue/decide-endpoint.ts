import type { IssuerContext } from './context.js'
import type { IssuerRequestHead, IssuerResponse } from './exchange.js'
import { emptyNoStore } from './responses.js'

/** Header names the decision endpoint passes upstream on 200. */
export const SUBJECT_HEADER = 'x-auth-subject'
export const PERMISSIONS_HEADER = 'x-auth-permissions'

const BEARER = /^bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i

/**
 * `/auth/decide` (any method): the reverse-proxy decision for Nginx `auth_request` and Traefik
 * ForwardAuth. Verifies the request's bearer token against this issuer's own keys (no network)
 * and answers only 200 (with `X-Auth-Subject` / `X-Auth-Permissions`), 401 or 403 — those
 * proxies treat any other status as an error. `?permissions=a,b` lists required permissions.
 */
export async function decideEndpoint(
  ctx: IssuerContext,
  request: IssuerRequestHead,
): Promise<IssuerResponse> {
  const deny = (status: 401 | 403) =>
    emptyNoStore(status, status === 401 ? { 'www-authenticate': 'Bearer realm="keygate"' } : undefined)
  try {
    const match = BEARER.exec(request.headers.get('authorization') ?? '')
    if (!match) return deny(401)
    const { payload } = await ctx.verifyAccessToken(match[1]!)
    const granted = Array.isArray(payload.permissions)
      ? payload.permissions.filter((p): p is string => typeof p === 'string')
      : typeof payload.scope === 'string'
        ? payload.scope.split(' ')
        : []
    const query = request.url.indexOf('?')
    const required =
      query < 0
        ? []
        : (new URLSearchParams(request.url.slice(query + 1)).get('permissions') ?? '')
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p !== '')
    if (!required.every((p) => granted.includes(p))) return deny(403)
    return emptyNoStore(200, {
      [SUBJECT_HEADER]: headerSafe(String(payload.sub ?? '')),
      [PERMISSIONS_HEADER]: granted.join(' '),
    })
  } catch {
    // Invalid token, unknown key, or the store failing: fail closed with the only "no" the
    // proxy understands for credentials.
    return deny(401)
  }
}

// Header values are ByteStrings; a subject outside printable ASCII is percent-encoded.
function headerSafe(value: string): string {
  return /^[\x20-\x7E]*$/.test(value) ? value : encodeURIComponent(value)
}
