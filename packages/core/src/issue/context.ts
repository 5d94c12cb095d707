import type { JWTClaims, JWTHeader } from '../types.js'
import type { APIKeyService } from './api-keys.js'
import type { IssuerRequestHead } from './exchange.js'
import type { KeyRing } from './key-ring.js'
import type { RateLimiter } from './rate-limiter.js'
import type { RefreshTokenService } from './refresh-tokens.js'
import type { APIKeyRecord } from './store.js'
import type { IssuerEvent, TokenSet } from './types.js'

/** What the route handlers share: resolved options and the issuer's services. Internal. */
export interface IssuerContext {
  issuer: string
  audience: readonly string[]
  /** Public URL prefix of the routes (no trailing slash). */
  publicUrl: string
  basePath: string
  clock: () => number
  emit: (event: IssuerEvent) => void
  keyRing: KeyRing
  apiKeys: APIKeyService
  refreshTokens: RefreshTokenService
  limiter: RateLimiter | undefined
  /** Budget of the per-address counter, as a multiple of the limiter's (`rateLimit.addressScale`). */
  addressScale: number
  /** How long an attempt for a key over its own budget waits (`rateLimit.slowdown`), in ms. */
  slowdownMs: number
  clientAddress: (request: IssuerRequestHead) => string | undefined
  /** SHA-256 of the admin token; `undefined` disables admin routes. */
  adminTokenHash: string | undefined
  maxBodyBytes: number
  /** `max-age` of JWKS and metadata responses, in seconds. */
  jwksMaxAgeSeconds: number
  clientCredentialsGrant(client: APIKeyRecord, scope: string[] | undefined): Promise<TokenSet>
  refreshGrant(
    token: string,
    scope: string[] | undefined,
    client: APIKeyRecord | undefined,
  ): Promise<TokenSet>
  /**
   * Verifies an access token of this issuer against its own keys (no network); throws an
   * `AuthError`. The audience must be one of the issuer's unless `anyAudience` (introspection:
   * a token issued for an API key's own audience is still this issuer's, and active).
   */
  verifyAccessToken(
    token: string,
    options?: { anyAudience?: boolean },
  ): Promise<{ payload: Readonly<JWTClaims>; header: Readonly<JWTHeader> }>
}
