import type { JWKSSource } from '../jwks/types.js'
import type { Clock, Duration, JWKS } from '../types.js'
import type { IssuerRequest, IssuerRequestHead, IssuerResponse } from './exchange.js'
import type { InitialSigningKey } from './import-signing-key.js'
import type { JWThenticatorOptions } from './jwthenticator/options.js'
import type { RateLimiter } from './rate-limiter.js'
import type { RevocationSink } from './revocation-sink.js'
import type { APIKeyListFilter, IssuerStore, SigningAlgorithm } from './store.js'

/** Signing-key policy: which algorithm, and the publish-before-sign rotation schedule. */
export interface SigningOptions {
  /** Default `'EdDSA'` (Ed25519): small keys and signatures, fast, no parameter choices. */
  algorithm?: SigningAlgorithm
  /** How long a key signs before the next one takes over. Default `'30d'`. */
  rotateEvery?: Duration
  /**
   * How long a new key is published before it signs anything, so every verifier's cached JWKS
   * has it in time. Default `'1d'`; must be shorter than `rotateEvery`.
   */
  publishAhead?: Duration
  /**
   * How long a retired key stays published; must cover the longest token it signed (checked at
   * start-up: ≥ `accessTokenTtl` + 1 min, the most a process's cached key ring lags). Default `'2d'`.
   */
  retireAfter?: Duration
  /**
   * An existing private key (PEM: PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`; or a private
   * JWK) of `algorithm`'s type, stored (sealed) as the first current key when the store holds no
   * signing key — e.g. JWThenticator's `RSA_PRIVATE_KEY`, so tokens it signed keep verifying.
   * Ignored once the store has keys; rotation continues normally. Checked on first use: call
   * `issuer.ready()` at start-up to fail fast (`ConfigurationError`).
   */
  initialKey?: InitialSigningKey
}

/** Refresh-token rotation (RFC 9700 §4.14.2): each use returns a new token; reuse is detected. */
export interface RefreshRotationOptions {
  /** Default true. Off: a refresh token is reusable until it expires and no new one is issued. */
  enabled?: boolean
  /**
   * How long the same predecessor may be replayed and get the same successor — a client whose
   * response was lost can retry. Default `'30s'`. Reuse after it revokes the whole family.
   */
  graceWindow?: Duration
}

/**
 * Limits on failed credential attempts. The key id is public (it is the `client_id`), so a
 * stranger must not be able to lock its owner out: failures are counted per client address
 * (budget `maxFailures × addressScale`) and per address + key (budget `maxFailures`), and those
 * refuse (429 with `Retry-After`); per key alone they only slow attempts down (`slowdown`).
 */
export interface RateLimitOptions {
  /** Failures allowed per window for one address and one key before that pair is refused. Default 10. */
  maxFailures?: number
  /** The window. Default `'1m'`. */
  window?: Duration
  /**
   * Budget of one address over all keys, as a multiple of `maxFailures`: callers behind one NAT
   * or proxy share it. Default 10 (100 failures per window with the defaults).
   */
  addressScale?: number
  /**
   * How long each attempt for a key that used its own budget (`maxFailures`, from any addresses)
   * waits before its credential is checked; `0` turns it off. Default `'1s'`.
   */
  slowdown?: Duration
  /**
   * Where the counters live; memory by default (`@keygate/redis` shares them). A custom limiter
   * carries its own limits: `maxFailures` and `window` configure the memory one.
   */
  limiter?: RateLimiter
}

/** Options of `createIssuer`. */
export interface IssuerOptions {
  /** The `iss` of every token and the issuer identifier in metadata (RFC 8414 §2). */
  issuer: string
  /** Default `aud` of tokens; an API key or `createToken` may name others. */
  audience: string | readonly string[]
  store: IssuerStore
  /**
   * Secret that protects private keys at rest (AES-256-GCM, key derived with HKDF-SHA-256) and
   * derives refresh-token successors. At least 32 bytes; keep it out of the store's database.
   */
  encryptionKey: string | Uint8Array
  signing?: SigningOptions
  /** Lifetime of access tokens. Default `'15m'`. */
  accessTokenTtl?: Duration
  /** Lifetime of refresh tokens; must exceed `accessTokenTtl`. Default `'30d'`. */
  refreshTokenTtl?: Duration
  /** Issue a refresh token with every `client_credentials` grant. Default true. */
  refreshTokens?: boolean
  refreshRotation?: RefreshRotationOptions
  /** Limits on failed attempts, or `false` to turn them off. */
  rateLimit?: RateLimitOptions | false
  /**
   * Admin credential for `/admin/*` and `/introspect` (`Authorization: Bearer <adminToken>`),
   * at least 32 characters. Without it the admin routes answer 404.
   */
  adminToken?: string
  /** Path prefix of every route, e.g. `'/oauth'`. Default `''`. */
  basePath?: string
  /** Public URL of the routes, for metadata. Default `issuer` + `basePath`. */
  publicUrl?: string
  /** Take the client address from `X-Forwarded-For` (only behind a proxy you control). Default false. */
  trustProxy?: boolean
  /**
   * Custom client address for rate limiting; overrides `trustProxy`. Without either, the address
   * the server adapter reports (`IssuerRequest.clientAddress`, e.g. Express's `req.ip`) is used.
   */
  clientAddress?: (request: IssuerRequestHead) => string | undefined
  /** `max-age` of the JWKS response; must be shorter than `publishAhead`. Default min(1 h, publishAhead / 2). */
  jwksMaxAge?: Duration
  /** Largest accepted request body. Default 16 KiB. */
  maxBodyBytes?: number
  /** Milliseconds since the epoch; every time the issuer reads or stores comes from here. */
  clock?: Clock
  /** Audit hook; must not throw (errors from it are swallowed). Events never carry secrets. */
  onEvent?: (event: IssuerEvent) => void
  /**
   * Where revocations of live access tokens go, so verifiers refuse them before `exp`: a revoked
   * refresh-token family (`/revoke`, `revokeRefreshToken`, session logout, reuse detection) as
   * `{ kind: 'family', value: <sid> }`, a revoked API key as `{ kind: 'client', value: <key id> }`.
   * `createRedisRevocationList` from `@keygate/redis` fits as it is. Published before the store
   * revokes, so a failure (503) can be retried; reuse detection revokes first and reports a
   * failure as `revocation_publish_failed`. See the README's "Revoking live access tokens".
   */
  revocations?: RevocationSink
  /**
   * Runs on every refresh, before anything is issued, with what the chain grants and the data
   * stored by `createToken({ refresh: { data } })`: return `false` to refuse (`invalid_grant`,
   * e.g. the user was disabled), or new `permissions`/`groups`/`claims` for this access token
   * (for API-key chains, permissions stay within the key's). Nothing, to issue as before.
   */
  onRefresh?: (input: RefreshHookInput) => RefreshHookResult | Promise<RefreshHookResult>
  /**
   * Serve JWThenticator's routes (`/authenticate`, `/refresh`, `/validate`, `/validate_request`,
   * `/register_key`, …) from the same `handle`/`respond`, for JWThenticator's existing callers.
   * Off when absent. See the README's "JWThenticator routes".
   */
  jwthenticator?: JWThenticatorOptions
}

/** What `onRefresh` sees. */
export interface RefreshHookInput {
  subject: string
  /** The API key the chain was issued through; `null` for `createToken` chains. */
  apiKeyId: string | null
  permissions: readonly string[]
  groups: readonly string[]
  claims: Readonly<Record<string, unknown>>
  data: Readonly<Record<string, unknown>> | null
}

/** What `onRefresh` may answer. */
export type RefreshHookResult =
  | undefined
  | false
  | { permissions?: readonly string[]; groups?: readonly string[]; claims?: Record<string, unknown> }

/** Input of `issuer.createToken`. */
export interface CreateTokenInput {
  subject: string
  permissions?: readonly string[]
  groups?: readonly string[]
  /** Extra claims; registered and Keygate-owned claims (`iss`, `sub`, `scope`, …) cannot be set here. */
  claims?: Record<string, unknown>
  /** Overrides the default audience. */
  audience?: string | readonly string[]
  /** Overrides `accessTokenTtl`; less than `signing.retireAfter` − 1 min. */
  expiresIn?: Duration
  /** RFC 9068 `client_id`; set to the API key id for tokens from `/token`. */
  clientId?: string
  /** Also issue a refresh token, carrying optional application data. */
  refresh?: { data?: Record<string, unknown> } | boolean
}

/** Tokens as returned by `createToken` (camelCase; `/token` answers the RFC 6749 snake_case form). */
export interface TokenSet {
  accessToken: string
  tokenType: 'Bearer'
  /** Seconds until the access token expires. */
  expiresIn: number
  refreshToken?: string
  /**
   * Seconds until the refresh token expires, with `refreshToken` (each rotation starts a fresh
   * lifetime). Browser sessions set their cookie's `Max-Age` from it.
   */
  refreshExpiresIn?: number
  /** Granted permissions, space-delimited (RFC 6749 §3.3). */
  scope: string
}

/** Input of `issuer.apiKeys.create`. */
export interface CreateAPIKeyInput {
  subject: string
  name: string
  permissions?: readonly string[]
  audience?: string | readonly string[]
  /** Lifetime of the key; never expires when absent. */
  expiresIn?: Duration
  metadata?: Record<string, unknown>
}

/** An API key as shown to administrators: never the key or its hash. Times are ISO 8601 UTC. */
export interface APIKeyInfo {
  id: string
  subject: string
  name: string
  permissions: string[]
  audience: string[] | null
  metadata: Record<string, unknown>
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
  lastUsedAt: string | null
}

/** API key management. */
export interface APIKeys {
  /** Creates a key; `key` is shown this once and never stored. */
  create(input: CreateAPIKeyInput): Promise<{ id: string; key: string; record: APIKeyInfo }>
  /** Revokes a key and every refresh token issued through it; false when the id is unknown. */
  revoke(id: string): Promise<boolean>
  /**
   * Keys oldest first, optionally one subject's; page with `limit` and `after` (the id of the
   * last key of the previous page). Without `limit`, every matching key.
   */
  list(filter?: APIKeyListFilter): Promise<APIKeyInfo[]>
  get(id: string): Promise<APIKeyInfo | undefined>
}

/** Audit events. They carry ids, subjects and times — never keys, tokens or hashes. */
export type IssuerEvent =
  | { type: 'key_created'; keyId: string; subject: string; at: number }
  | { type: 'key_used'; keyId: string; subject: string; at: number }
  | { type: 'key_revoked'; keyId: string; subject: string; refreshTokensRevoked: number; at: number }
  | {
      type: 'token_issued'
      grant: 'client_credentials' | 'refresh_token' | 'direct'
      subject: string
      keyId: string | null
      jti: string
      kid: string
      expiresAt: number
      refreshTokenId: string | null
      at: number
    }
  | {
      type: 'refresh_reuse'
      tokenId: string
      familyId: string
      subject: string
      keyId: string | null
      at: number
    }
  | { type: 'refresh_revoked'; tokenId: string; familyId: string; at: number }
  /** The `revocations` sink rejected: verifiers may accept the family's or key's access tokens until `exp`. */
  | { type: 'revocation_publish_failed'; kind: 'family' | 'client'; value: string; at: number }
  | {
      type: 'auth_failed'
      route: string
      reason: string
      keyId: string | null
      address: string | null
      at: number
    }
  | {
      type: 'rate_limited'
      /**
       * The counter over its budget: the address (every attempt from it), or the address with
       * this key / JWThenticator identifier / the admin credential.
       */
      scope: 'address' | 'address+key' | 'address+identifier' | 'address+admin'
      keyId: string | null
      address: string | null
      retryAfter: number
      at: number
    }
  | {
      /**
       * An attempt made to wait `delayMs` before its credential was checked: the key (or
       * identifier, or the admin credential) used its own budget, from any addresses. Never a refusal.
       */
      type: 'rate_slowed'
      scope: 'key' | 'identifier' | 'admin'
      keyId: string | null
      address: string | null
      delayMs: number
      at: number
    }
  | { type: 'signing_key_published'; kid: string; algorithm: SigningAlgorithm; at: number }
  | { type: 'signing_key_activated'; kid: string; at: number }
  | { type: 'signing_key_retired'; kid: string; at: number }
  | { type: 'signing_key_removed'; kid: string; at: number }

/** Options of `issuer.refresh`. */
export interface RefreshOptions {
  /** Down-scope the new access token to these permissions (a subset of the refresh token's). */
  scope?: readonly string[]
  /**
   * The API key the refresh token was issued to — its client authentication (RFC 6749 §6).
   * Required for tokens from `POST /token` with client credentials; not for `createToken`'s.
   */
  apiKey?: string
}

/** Options of `issuer.rotateKeys`. */
export interface RotateKeysOptions {
  /**
   * Rotate now, whatever the schedule (a suspected key leak, a demo): the `next` key, or a new one,
   * signs at once; the current key is retired and stays published for `retireAfter`, so the
   * tokens it signed keep verifying. This skips publish-before-sign: a verifier meets the new
   * kid before its cached JWKS has it and fetches the JWKS on that kid miss; a Keygate verifier
   * that fetched less than its `cooldown` (default 30 s) ago refuses the new kid (401) until the
   * cooldown ends. Store unreachable: `KeysUnavailableError` (503), and the current key keeps signing.
   */
  now?: boolean
}

/** The object `createIssuer` returns. */
export interface Issuer {
  readonly issuer: string
  readonly audience: readonly string[]
  /** Public URL of the JWKS. */
  readonly jwksUri: string
  /** Loads (or, for an empty store, creates) the signing keys; optional, everything does it lazily. */
  ready(): Promise<void>
  /** Signs an access token (and optionally a refresh token) for an application's own user. */
  createToken(input: CreateTokenInput): Promise<TokenSet>
  readonly apiKeys: APIKeys
  /**
   * Runs the refresh-token grant in code (what `POST /token` does for `grant_type=refresh_token`).
   * A token issued through an API key needs that key (`{ apiKey }`, RFC 6749 §6): without it
   * `InvalidClientError`, with another key `InvalidGrantError`. Tokens from `createToken` need none.
   *
   * @example await issuer.refresh(refreshToken, { apiKey: 'kg_…' })
   */
  refresh(refreshToken: string, options?: RefreshOptions): Promise<TokenSet>
  /** Revokes a refresh token and its family; unknown tokens are ignored (RFC 7009 §2.2). */
  revokeRefreshToken(refreshToken: string): Promise<void>
  /**
   * Runs any due rotation step now (they also run lazily when keys are used). With `{ now: true }`,
   * a forced rotation: see `RotateKeysOptions`. Resolves to the kid that signs afterwards.
   *
   * @example const { kid } = await issuer.rotateKeys({ now: true })
   */
  rotateKeys(options?: RotateKeysOptions): Promise<{ kid: string }>
  /** The published JWK Set: next, current and not-yet-expired retired keys. */
  jwks(): Promise<JWKS>
  /** A `JWKSSource` over the store's public keys, for `createAuth({ source })` without a network hop. */
  keySource(): JWKSSource
  /**
   * Serves every route (see the README's routes table). Never throws; never 500 for a client's
   * mistake. `clientAddress`: the peer address the runtime reports (e.g. Hono's `getConnInfo`),
   * for per-address rate limiting when neither `clientAddress` nor `trustProxy` is configured.
   */
  handle(request: Request, context?: { clientAddress?: string }): Promise<Response>
  /**
   * `handle` for servers with their own request objects (Node's `http`, Express, Fastify): the
   * same routes and answers, taking and returning plain data, with no fetch `Request` or
   * `Response` built. `@keygate/core/http` has `toIssuerRequest` / `sendIssuerResponse` for Node.
   */
  respond(request: IssuerRequest): Promise<IssuerResponse>
}
