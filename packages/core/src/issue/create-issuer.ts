import { toMs } from '../duration.js'
import {
  ConfigurationError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidScopeError,
  KeyNotFoundError,
} from '../errors.js'
import type { JWKSSource } from '../jwks/types.js'
import { createAuth } from '../verify/create-auth.js'
import { checkCustomClaims, signAccessToken } from './access-token.js'
import { createAPIKeyService } from './api-keys.js'
import type { IssuerContext } from './context.js'
import { sha256 } from './encoding.js'
import { createHandler } from './handler.js'
import { createKeyRing, type SigningPolicy } from './key-ring.js'
import { createMemoryRateLimiter, type RateLimiter } from './rate-limiter.js'
import { createRefreshTokenService } from './refresh-tokens.js'
import { DEFAULT_MAX_BODY_BYTES } from './request-body.js'
import { createSecretBox } from './secret-box.js'
import type { APIKeyRecord, SigningAlgorithm } from './store.js'
import type { CreateTokenInput, Issuer, IssuerEvent, IssuerOptions, TokenSet } from './types.js'
import { checkAudience, checkObject, checkScopeList, checkText } from './validation.js'

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
/** JWKS responses are cacheable for at most an hour: key changes propagate quickly. */
const MAX_JWKS_MAX_AGE_MS = 3_600_000
/** An admin token shorter than this is too guessable for a credential that creates keys. */
const MIN_ADMIN_TOKEN_LENGTH = 32
const ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256']

function positive(value: IssuerOptions['accessTokenTtl'], fallback: string, name: string): number {
  const ms = toMs(value ?? fallback, name)
  if (ms <= 0) throw new ConfigurationError(`${name} must be positive`)
  return ms
}

function intersect(a: readonly string[], b: readonly string[]): string[] {
  return a.filter((x) => b.includes(x))
}

/**
 * Creates an issuer: signing keys with publish-before-sign rotation and encryption at rest,
 * access tokens (RFC 9068), API keys, refresh tokens with optional rotation and reuse
 * detection, and `handle(request)` for the token, revocation, introspection, metadata, JWKS,
 * decision and admin routes. All state lives in `store`; options are validated here, once.
 *
 * @example
 * const issuer = createIssuer({
 *   issuer: 'https://auth.example', audience: 'https://api.example',
 *   store: createMemoryIssuerStore(), encryptionKey: process.env.KEYGATE_ENCRYPTION_KEY!,
 * })
 * const { accessToken } = await issuer.createToken({ subject: 'user-1', permissions: ['read'] })
 * @see https://www.rfc-editor.org/rfc/rfc6749 (OAuth 2.0)
 * @see https://www.rfc-editor.org/rfc/rfc9068 (JWT access tokens)
 */
export function createIssuer(options: IssuerOptions): Issuer {
  if (typeof options?.issuer !== 'string' || !URL.canParse(options.issuer)) {
    throw new ConfigurationError('issuer must be an absolute URL')
  }
  if (!options.store) throw new ConfigurationError('store is required')
  let audience: string[]
  try {
    audience = checkAudience(options.audience)
  } catch {
    throw new ConfigurationError('audience must be a non-empty string or array of strings')
  }
  const box = createSecretBox(options.encryptionKey)
  const clock = options.clock ?? Date.now
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
  if (!ALGORITHMS.includes(algorithm))
    throw new ConfigurationError(`signing.algorithm must be one of ${ALGORITHMS.join(', ')}`)
  const policy: SigningPolicy = {
    algorithm,
    rotateEvery: positive(options.signing?.rotateEvery, DEFAULT_ROTATE_EVERY, 'signing.rotateEvery'),
    publishAhead: positive(options.signing?.publishAhead, DEFAULT_PUBLISH_AHEAD, 'signing.publishAhead'),
    retireAfter: positive(options.signing?.retireAfter, DEFAULT_RETIRE_AFTER, 'signing.retireAfter'),
  }
  const accessTtl = positive(options.accessTokenTtl, DEFAULT_ACCESS_TOKEN_TTL, 'accessTokenTtl')
  const refreshTtl = positive(options.refreshTokenTtl, DEFAULT_REFRESH_TOKEN_TTL, 'refreshTokenTtl')
  if (policy.publishAhead >= policy.rotateEvery) {
    throw new ConfigurationError('signing.publishAhead must be shorter than signing.rotateEvery')
  }
  // A retired key must stay published until every token it signed has expired.
  if (policy.retireAfter < accessTtl)
    throw new ConfigurationError('signing.retireAfter must be at least accessTokenTtl')
  if (refreshTtl <= accessTtl)
    throw new ConfigurationError('refreshTokenTtl must be longer than accessTokenTtl')
  const jwksMaxAge =
    options.jwksMaxAge === undefined
      ? Math.min(MAX_JWKS_MAX_AGE_MS, policy.publishAhead / 2)
      : toMs(options.jwksMaxAge, 'jwksMaxAge')
  // A verifier holding a JWKS for max-age must learn of a new key before that key signs.
  if (jwksMaxAge >= policy.publishAhead)
    throw new ConfigurationError('jwksMaxAge must be shorter than signing.publishAhead')
  const rotation = options.refreshRotation?.enabled !== false
  const graceMs = toMs(
    options.refreshRotation?.graceWindow ?? DEFAULT_REFRESH_GRACE,
    'refreshRotation.graceWindow',
  )
  if (graceMs >= refreshTtl)
    throw new ConfigurationError('refreshRotation.graceWindow must be shorter than refreshTokenTtl')
  if (
    options.adminToken !== undefined &&
    (typeof options.adminToken !== 'string' || options.adminToken.length < MIN_ADMIN_TOKEN_LENGTH)
  ) {
    throw new ConfigurationError(`adminToken must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`)
  }
  const basePath = options.basePath ?? ''
  if (basePath !== '' && (!basePath.startsWith('/') || basePath.endsWith('/'))) {
    throw new ConfigurationError("basePath must be '' or start with '/' and not end with '/'")
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0)
    throw new ConfigurationError('maxBodyBytes must be a positive integer')
  let limiter: RateLimiter | undefined
  if (options.rateLimit !== false) {
    const maxFailures = options.rateLimit?.maxFailures ?? DEFAULT_MAX_FAILURES
    if (!Number.isInteger(maxFailures) || maxFailures <= 0)
      throw new ConfigurationError('rateLimit.maxFailures must be a positive integer')
    limiter =
      options.rateLimit?.limiter ??
      createMemoryRateLimiter({
        maxFailures,
        windowMs: positive(options.rateLimit?.window, DEFAULT_RATE_WINDOW, 'rateLimit.window'),
        clock,
      })
  }
  const issuer = options.issuer
  const publicUrl = (options.publicUrl ?? issuer.replace(/\/+$/, '') + basePath).replace(/\/+$/, '')
  const clientAddress =
    options.clientAddress ??
    (options.trustProxy
      ? // The last entry is the one our own proxy added; earlier ones are whatever the client sent.
        (request: Request) => request.headers.get('x-forwarded-for')?.split(',').pop()?.trim() || undefined
      : () => undefined)

  const store = options.store
  const keyRing = createKeyRing({ store, box, policy, clock, emit })
  const apiKeys = createAPIKeyService({ store, clock, emit })
  const refreshTokens = createRefreshTokenService({ store, box, clock, ttlMs: refreshTtl, graceMs, emit })
  let adminTokenHash: string | undefined
  const adminReady =
    options.adminToken === undefined
      ? undefined
      : sha256(options.adminToken).then((h) => {
          adminTokenHash = h
        })

  const source: JWKSSource = {
    async getKey(selector) {
      const jwk = selector.kid === undefined ? undefined : await keyRing.lookup(selector.kid)
      if (!jwk || jwk.alg !== selector.alg) throw new KeyNotFoundError('No published key matches the token')
      return jwk
    },
    peek: () => keyRing.peek(),
    reload: () => keyRing.sync(),
    close() {},
  }

  // The issuer's own tokens are verified by the same verifier resource servers use, over the
  // store's keys: no network hop, no second implementation of the checks.
  const auth = createAuth({
    issuer,
    audience,
    source,
    algorithms: [...ALGORITHMS],
    typ: 'at+jwt',
    requiredClaims: ['sub', 'jti', 'iat'],
    clock,
  })
  const verifyAccessToken: IssuerContext['verifyAccessToken'] = async (token) => {
    const principal = await auth.verify(token)
    return { payload: principal.claims, header: principal.header }
  }

  async function issueAccessToken(content: Parameters<typeof signAccessToken>[1]) {
    const key = await keyRing.active()
    const signed = await signAccessToken(key, content, clock())
    return { ...signed, kid: key.kid }
  }

  const clientCredentialsGrant = async (
    client: APIKeyRecord,
    scope: string[] | undefined,
  ): Promise<TokenSet> => {
    const permissions = scope ?? client.permissions
    if (scope && !scope.every((s) => client.permissions.includes(s))) {
      throw new InvalidScopeError('The requested scope exceeds what the API key grants')
    }
    const tokenAudience = client.audience ?? audience
    const [access, refresh] = await Promise.all([
      issueAccessToken({
        issuer,
        subject: client.subject,
        audience: tokenAudience,
        permissions,
        groups: [],
        claims: {},
        clientId: client.id,
        ttlMs: accessTtl,
      }),
      options.refreshTokens === false
        ? undefined
        : refreshTokens.issue({
            apiKeyId: client.id,
            subject: client.subject,
            permissions,
            groups: [],
            audience: tokenAudience,
            claims: {},
            data: null,
          }),
    ])
    emit({
      type: 'token_issued',
      grant: 'client_credentials',
      subject: client.subject,
      keyId: client.id,
      jti: access.jti,
      kid: access.kid,
      expiresAt: access.expiresAt,
      refreshTokenId: refresh?.record.id ?? null,
      at: clock(),
    })
    return {
      accessToken: access.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      ...(refresh ? { refreshToken: refresh.token } : {}),
      scope: permissions.join(' '),
    }
  }

  const refreshGrant = async (
    token: string,
    scope: string[] | undefined,
    client: APIKeyRecord | undefined,
  ): Promise<TokenSet> => {
    const record = await refreshTokens.verify(token)
    if (client && record.apiKeyId !== client.id)
      throw new InvalidGrantError('The refresh token was not issued to this client')
    let permissions = record.permissions
    if (record.apiKeyId !== null) {
      // Bound to its API key: a revoked or expired key ends the chain, and a key whose
      // permissions shrank cannot hand out the old ones through a refresh.
      const key = await apiKeys.active(record.apiKeyId)
      if (!key || key.subject !== record.subject)
        throw new InvalidGrantError('The API key of this refresh token is no longer valid')
      permissions = intersect(record.permissions, key.permissions)
    }
    if (scope && !scope.every((s) => permissions.includes(s))) {
      throw new InvalidScopeError('The requested scope exceeds the scope of the refresh token')
    }
    const granted = scope ?? permissions
    const rotated = rotation ? await refreshTokens.rotate(record) : undefined
    const access = await issueAccessToken({
      issuer,
      subject: record.subject,
      audience: record.audience,
      permissions: granted,
      groups: record.groups,
      claims: record.claims,
      clientId: record.apiKeyId,
      ttlMs: accessTtl,
    })
    emit({
      type: 'token_issued',
      grant: 'refresh_token',
      subject: record.subject,
      keyId: record.apiKeyId,
      jti: access.jti,
      kid: access.kid,
      expiresAt: access.expiresAt,
      refreshTokenId: rotated?.record.id ?? null,
      at: clock(),
    })
    return {
      accessToken: access.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      ...(rotated ? { refreshToken: rotated.token } : {}),
      scope: granted.join(' '),
    }
  }

  const ctx: IssuerContext = {
    issuer,
    audience,
    publicUrl,
    basePath,
    clock,
    emit,
    keyRing,
    apiKeys,
    refreshTokens,
    limiter,
    clientAddress,
    get adminTokenHash() {
      return adminTokenHash
    },
    maxBodyBytes,
    jwksMaxAgeSeconds: Math.floor(jwksMaxAge / 1000),
    clientCredentialsGrant,
    refreshGrant,
    verifyAccessToken,
  }
  const route = createHandler(ctx)

  return {
    issuer,
    audience,
    jwksUri: `${publicUrl}/.well-known/jwks.json`,
    async ready() {
      await adminReady
      await keyRing.sync()
    },
    async createToken(input: CreateTokenInput) {
      const subject = checkText(input?.subject, 'subject')
      const permissions = checkScopeList(input.permissions, 'permissions')
      const groups = checkScopeList(input.groups, 'groups')
      const claims = checkCustomClaims(checkObject(input.claims, 'claims'))
      try {
        JSON.stringify(claims)
      } catch {
        throw new InvalidRequestError('claims must be JSON-serialisable')
      }
      const tokenAudience = input.audience === undefined ? audience : checkAudience(input.audience)
      let ttlMs = accessTtl
      if (input.expiresIn !== undefined) {
        ttlMs = toMs(input.expiresIn, 'expiresIn')
        // A token may not outlive its key's publication, or it would stop verifying early.
        if (ttlMs <= 0 || ttlMs > policy.retireAfter) {
          throw new InvalidRequestError('expiresIn must be positive and at most signing.retireAfter')
        }
      }
      const clientId = input.clientId === undefined ? null : checkText(input.clientId, 'clientId')
      const refreshData =
        typeof input.refresh === 'object' && input.refresh !== null
          ? checkObject(input.refresh.data, 'refresh.data')
          : null
      const [access, refresh] = await Promise.all([
        issueAccessToken({
          issuer,
          subject,
          audience: tokenAudience,
          permissions,
          groups,
          claims,
          clientId,
          ttlMs,
        }),
        input.refresh
          ? refreshTokens.issue({
              apiKeyId: null,
              subject,
              permissions,
              groups,
              audience: tokenAudience,
              claims,
              data: refreshData,
            })
          : undefined,
      ])
      emit({
        type: 'token_issued',
        grant: 'direct',
        subject,
        keyId: null,
        jti: access.jti,
        kid: access.kid,
        expiresAt: access.expiresAt,
        refreshTokenId: refresh?.record.id ?? null,
        at: clock(),
      })
      return {
        accessToken: access.token,
        tokenType: 'Bearer',
        expiresIn: access.expiresIn,
        ...(refresh ? { refreshToken: refresh.token } : {}),
        scope: permissions.join(' '),
      }
    },
    apiKeys: {
      create: (input) => apiKeys.create(input),
      revoke: (id) => apiKeys.revoke(id),
      list: (filter) => apiKeys.list(filter),
      get: (id) => apiKeys.get(id),
    },
    async refresh(refreshToken, refreshOptions = {}) {
      const scope =
        refreshOptions.scope === undefined ? undefined : checkScopeList(refreshOptions.scope, 'scope')
      return refreshGrant(refreshToken, scope, undefined)
    },
    async revokeRefreshToken(refreshToken) {
      try {
        await refreshTokens.revoke(await refreshTokens.verify(refreshToken))
      } catch (error) {
        if (!(error instanceof InvalidGrantError)) throw error
      }
    },
    rotateKeys: () => keyRing.sync(),
    async jwks() {
      return { keys: await keyRing.published() }
    },
    keySource: () => source,
    async handle(request) {
      // The admin token's hash is computed once, asynchronously; the first request waits for it.
      if (adminTokenHash === undefined && adminReady) await adminReady
      return route(request)
    },
  }
}
