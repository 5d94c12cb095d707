import { InvalidGrantError, KeyNotFoundError } from '../errors.js'
import type { JWKSSource } from '../jwks/types.js'
import { createAuth } from '../verify/create-auth.js'
import { createAPIKeyService } from './api-keys.js'
import type { IssuerContext } from './context.js'
import { sha256 } from './encoding.js'
import { fromWebRequest, type IssuerRequest, type IssuerResponse, toWebResponse } from './exchange.js'
import { createGrants } from './grants.js'
import { createHandler } from './handler.js'
import { resolveIssuerOptions, SIGNING_ALGORITHMS } from './issuer-options.js'
import { createJWThenticatorRoutes } from './jwthenticator/routes.js'
import { createKeyRing } from './key-ring.js'
import { createRefreshTokenService } from './refresh-tokens.js'
import { createRevocationPublisher, directMaxTtl } from './revocation-sink.js'
import { createSecretBox } from './secret-box.js'
import type { Issuer, IssuerOptions } from './types.js'
import { checkScopeList } from './validation.js'

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
  const resolved = resolveIssuerOptions(options)
  const box = createSecretBox(options.encryptionKey)
  const { issuer, audience, store, clock, emit, policy } = resolved
  const keyRing = createKeyRing({ store, box, policy, clock, emit, initialKey: options.signing?.initialKey })
  const revocations = createRevocationPublisher({
    sink: resolved.revocations,
    clock,
    emit,
    accessTtlMs: resolved.accessTtlMs,
    directMaxTtlMs: directMaxTtl(policy.retireAfter),
  })
  const apiKeys = createAPIKeyService({ store, clock, emit, revocations })
  const refreshTokens = createRefreshTokenService({
    store,
    box,
    clock,
    ttlMs: resolved.refreshTtlMs,
    graceMs: resolved.graceMs,
    emit,
    revocations,
  })
  const grants = createGrants(resolved, { keyRing, apiKeys, refreshTokens })

  let adminTokenHash: string | undefined
  const adminReady =
    resolved.adminToken === undefined
      ? undefined
      : sha256(resolved.adminToken).then((hash) => {
          adminTokenHash = hash
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
  const verifierOptions = {
    issuer,
    source,
    algorithms: [...SIGNING_ALGORITHMS],
    typ: 'at+jwt',
    requiredClaims: ['sub', 'jti', 'iat'],
    clock,
  }
  const auth = createAuth({ ...verifierOptions, audience })
  const anyAudience = createAuth({ ...verifierOptions, audience: false })

  const ctx: IssuerContext = {
    issuer,
    audience,
    publicUrl: resolved.publicUrl,
    basePath: resolved.basePath,
    clock,
    emit,
    keyRing,
    apiKeys,
    refreshTokens,
    limiter: resolved.limiter,
    addressScale: resolved.addressScale,
    slowdownMs: resolved.slowdownMs,
    clientAddress: resolved.clientAddress,
    get adminTokenHash() {
      return adminTokenHash
    },
    maxBodyBytes: resolved.maxBodyBytes,
    jwksMaxAgeSeconds: Math.floor(resolved.jwksMaxAgeMs / 1000),
    clientCredentialsGrant: grants.clientCredentials,
    refreshGrant: grants.refresh,
    async verifyAccessToken(token, verifyOptions) {
      const principal = await (verifyOptions?.anyAudience ? anyAudience : auth).verify(token)
      return { payload: principal.claims, header: principal.header }
    },
  }
  const route = createHandler(ctx)
  // JWThenticator's paths are matched first; anything else is one of Keygate's routes.
  const jwthenticator =
    options.jwthenticator === undefined
      ? undefined
      : createJWThenticatorRoutes(options.jwthenticator, { ctx, store, box, source, policy })
  async function respond(request: IssuerRequest): Promise<IssuerResponse> {
    // The admin token's hash is computed once, asynchronously; the first request waits for it.
    if (adminTokenHash === undefined && adminReady) await adminReady
    if (jwthenticator) {
      const answer = await jwthenticator(request)
      if (answer) return answer
    }
    return route(request)
  }

  return {
    issuer,
    audience,
    jwksUri: `${resolved.publicUrl}/.well-known/jwks.json`,
    async ready() {
      await adminReady
      await keyRing.sync()
    },
    createToken: grants.direct,
    apiKeys: {
      create: (input) => apiKeys.create(input),
      revoke: (id) => apiKeys.revoke(id),
      list: (filter) => apiKeys.list(filter),
      get: (id) => apiKeys.get(id),
    },
    async refresh(refreshToken, refreshOptions = {}) {
      const scope =
        refreshOptions.scope === undefined ? undefined : checkScopeList(refreshOptions.scope, 'scope')
      // The same rule as POST /token (RFC 6749 §6): a token issued to an API key needs that key.
      const { apiKey } = refreshOptions
      const client =
        apiKey === undefined ? undefined : await apiKeys.authenticate(apiKey, apiKeys.parse(apiKey))
      return grants.refresh(refreshToken, scope, client)
    },
    async revokeRefreshToken(refreshToken) {
      try {
        await refreshTokens.revoke(await refreshTokens.verify(refreshToken))
      } catch (error) {
        if (!(error instanceof InvalidGrantError)) throw error
      }
    },
    async rotateKeys(rotateOptions = {}) {
      if (rotateOptions.now === true) return { kid: await keyRing.rotateNow() }
      await keyRing.sync()
      return { kid: (await keyRing.active()).kid }
    },
    async jwks() {
      return { keys: await keyRing.published() }
    },
    keySource: () => source,
    respond,
    async handle(request, context) {
      return toWebResponse(await respond(fromWebRequest(request, context?.clientAddress)))
    },
  }
}
