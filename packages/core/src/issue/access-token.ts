import { InvalidRequestError } from '../errors.js'
import { ascii, base64urlEncode, randomBytes } from './encoding.js'
import type { ActiveKey } from './key-ring.js'

/**
 * Claims Keygate sets itself. Custom claims may not replace them: a caller-controlled `sub` or
 * `scope` would turn a data field into a privilege (RFC 9068 §2.2, RFC 7519 §4.1).
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'scope',
  'scp',
  'permissions',
  'groups',
  'roles',
  'client_id',
  'cnf',
  'act',
  'auth_time',
  'sid',
])

/** Everything that goes into one access token. */
export interface AccessTokenContent {
  issuer: string
  subject: string
  audience: readonly string[]
  permissions: readonly string[]
  groups: readonly string[]
  claims: Readonly<Record<string, unknown>>
  clientId: string | null
  /**
   * The refresh-token family issued with this token (`sid`, as OIDC names a session), so a
   * revocation list can refuse the family's live access tokens; `null` without a refresh token.
   */
  sessionId: string | null
  ttlMs: number
}

/** Throws when custom claims try to set a reserved claim. */
export function checkCustomClaims(claims: Record<string, unknown>): Record<string, unknown> {
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(name)) throw new InvalidRequestError(`The claim "${name}" is set by the issuer`)
  }
  return claims
}

/**
 * Signs an RFC 9068 access token: header `{ alg, kid, typ: 'at+jwt' }`, `iss`, `sub`, `aud`,
 * `exp`, `iat`, `nbf`, `jti`, `client_id` (when issued to a client), `sid` (the refresh-token
 * family, when issued with one), `scope` and `permissions`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
export function signAccessToken(
  key: ActiveKey,
  content: AccessTokenContent,
  now: number,
): SignedAccessToken | Promise<SignedAccessToken> {
  const iat = Math.floor(now / 1000)
  const expiresIn = Math.max(1, Math.floor(content.ttlMs / 1000))
  // 128 random bits make `jti` unique without coordination (RFC 7519 §4.1.7).
  const jti = base64urlEncode(randomBytes(16))
  const payload: Record<string, unknown> = {
    ...content.claims,
    iss: content.issuer,
    sub: content.subject,
    aud: content.audience.length === 1 ? content.audience[0] : content.audience,
    exp: iat + expiresIn,
    iat,
    nbf: iat,
    jti,
    scope: content.permissions.join(' '),
    permissions: content.permissions,
  }
  if (content.clientId !== null) payload.client_id = content.clientId
  if (content.sessionId !== null) payload.sid = content.sessionId
  if (content.groups.length > 0) payload.groups = content.groups
  const signingInput = `${key.headerSegment}.${base64urlEncode(JSON.stringify(payload))}`
  const finish = (signature: Uint8Array): SignedAccessToken => ({
    token: `${signingInput}.${base64urlEncode(signature)}`,
    jti,
    expiresAt: (iat + expiresIn) * 1000,
    expiresIn,
  })
  // Signed at once on Node's event loop (Ed25519, P-256); a promise from the thread pool or WebCrypto.
  const signed = key.sign(ascii(signingInput))
  return signed instanceof Uint8Array ? finish(signed) : signed.then(finish)
}

/** A signed access token and what the issuer reports about it. */
export interface SignedAccessToken {
  token: string
  jti: string
  expiresAt: number
  expiresIn: number
}
