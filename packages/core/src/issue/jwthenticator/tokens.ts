import type { Clock } from '../../types.js'
import { generateCredential, parseCredential } from '../credential-format.js'
import { ascii, base64urlEncode, constantTimeEqual, sha256, sha256Sync } from '../encoding.js'
import type { ActiveKey } from '../key-ring.js'
import type { IssuerStore, RefreshTokenRecord } from '../store.js'
import { JWTHENTICATOR_PROTOCOL } from './registered-keys.js'

/**
 * The two tokens of the JWThenticator routes: the JWT (as JWThenticator signs it, plus the
 * registered claims every JWT verifier expects) and the opaque refresh token.
 */

/**
 * Refresh tokens of these routes are `kgj_<id>_<secret><checksum>`: the credential format of
 * Keygate's own refresh tokens under another prefix, so neither kind is accepted where the other
 * belongs (`/token` parses only `kgr_`, `/refresh` only `kgj_`).
 */
export const JWTHENTICATOR_REFRESH_PREFIX = 'kgj'
const NONE = Object.freeze([]) as unknown as string[]
const NO_CLAIMS = Object.freeze({}) as Record<string, unknown>
const DATA = Object.freeze({ protocol: JWTHENTICATOR_PROTOCOL }) as Record<string, unknown>

/** A signed JWThenticator JWT. */
export interface SignedJWT {
  token: string
  tokenId: string
  expiresAt: number
}

const headers = new Map<string, string>()

/** The protected header `{ alg, kid, typ: 'JWT' }` (JWThenticator's), encoded once per key. */
function headerSegment(key: ActiveKey): string {
  let segment = headers.get(key.kid)
  if (segment === undefined) {
    segment = base64urlEncode(JSON.stringify({ alg: key.algorithm, kid: key.kid, typ: 'JWT' }))
    if (headers.size >= 64) headers.clear()
    headers.set(key.kid, segment)
  }
  return segment
}

/**
 * Signs a JWT with JWThenticator's claims — `token_id` (a UUID), `identifier`, `iat`, `exp`, and
 * `aud` as a list only when an audience is configured — plus `iss`, `sub` (= identifier) and
 * `jti` (= token_id), which pyjwt ignores unless asked and Keygate's verifiers require.
 */
export async function signJWThenticatorToken(
  key: ActiveKey,
  content: { issuer: string; identifier: string; audience: readonly string[]; leaseMs: number },
  now: number,
): Promise<SignedJWT> {
  const iat = Math.floor(now / 1000)
  const exp = iat + Math.max(1, Math.floor(content.leaseMs / 1000))
  const tokenId = crypto.randomUUID()
  const payload: Record<string, unknown> = { token_id: tokenId, identifier: content.identifier, iat, exp }
  if (content.audience.length > 0) payload.aud = content.audience
  payload.iss = content.issuer
  payload.sub = content.identifier
  payload.jti = tokenId
  const signingInput = `${headerSegment(key)}.${base64urlEncode(JSON.stringify(payload))}`
  const signature = await key.sign(ascii(signingInput))
  return { token: `${signingInput}.${base64urlEncode(signature)}`, tokenId, expiresAt: exp * 1000 }
}

/** Why a refresh token was refused; for events only. */
export type RefreshFailure = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'identifier_mismatch'

export interface JWThenticatorRefreshTokens {
  /** A new refresh token bound to the registered key `apiKeyId` and to `identifier`. */
  issue(apiKeyId: string, identifier: string): Promise<{ token: string; record: RefreshTokenRecord }>
  /**
   * The record of a usable token of these routes issued to `identifier`. Not rotated: the Python
   * client keeps sending the same refresh token until it fails.
   */
  verify(
    token: string,
    identifier: string,
  ): Promise<{ ok: true; record: RefreshTokenRecord } | { ok: false; reason: RefreshFailure }>
}

export function createJWThenticatorRefreshTokens(options: {
  store: IssuerStore
  clock: Clock
  ttlMs: number
  audience: readonly string[]
}): JWThenticatorRefreshTokens {
  const { store, clock, ttlMs } = options
  const audience = Object.freeze([...options.audience]) as string[]
  return {
    async issue(apiKeyId, identifier) {
      const { id, credential } = generateCredential(JWTHENTICATOR_REFRESH_PREFIX)
      const now = clock()
      const record: RefreshTokenRecord = {
        id,
        // A 256-bit random secret: SHA-256 is enough, as for Keygate's own refresh tokens.
        tokenHash: sha256Sync(credential) ?? (await sha256(credential)),
        familyId: id,
        apiKeyId,
        subject: identifier,
        permissions: NONE,
        groups: NONE,
        audience,
        claims: NO_CLAIMS,
        data: DATA,
        createdAt: now,
        expiresAt: now + ttlMs,
        consumedAt: null,
        successorId: null,
        revokedAt: null,
      }
      await store.createRefreshToken(record)
      return { token: credential, record }
    },
    async verify(token, identifier) {
      const id = parseCredential(JWTHENTICATOR_REFRESH_PREFIX, token)?.id
      if (id === undefined) return { ok: false, reason: 'malformed' }
      const record = await store.getRefreshToken(id)
      if (
        !record ||
        !constantTimeEqual(sha256Sync(token) ?? (await sha256(token)), record.tokenHash) ||
        record.data?.protocol !== JWTHENTICATOR_PROTOCOL ||
        record.apiKeyId === null
      ) {
        return { ok: false, reason: 'unknown' }
      }
      if (record.revokedAt !== null) return { ok: false, reason: 'revoked' }
      if (clock() >= record.expiresAt) return { ok: false, reason: 'expired' }
      if (record.subject !== identifier) return { ok: false, reason: 'identifier_mismatch' }
      return { ok: true, record }
    },
  }
}
