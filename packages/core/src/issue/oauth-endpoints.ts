import {
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  UnavailableError,
  UnsupportedGrantTypeError,
  UnsupportedTokenTypeError,
} from '../errors.js'
import { type ClientCredentials, clientCredentials } from './client-auth.js'
import type { IssuerContext } from './context.js'
import { REFRESH_TOKEN_PREFIX } from './credential-format.js'
import type { IssuerRequest, IssuerResponse } from './exchange.js'
import { authenticateAdmin, authenticateClient } from './guards.js'
import { readForm } from './request-body.js'
import { emptyNoStore, errorResponse, jsonNoStore } from './responses.js'
import type { RefreshTokenRecord } from './store.js'
import type { TokenSet } from './types.js'
import { parseScope } from './validation.js'

/**
 * `POST /token` (RFC 6749 §4.4 `client_credentials` with the API key as client secret, §6
 * `refresh_token`). Answers `{ access_token, token_type, expires_in, refresh_token?, scope }`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5
 */
export async function tokenEndpoint(ctx: IssuerContext, request: IssuerRequest): Promise<IssuerResponse> {
  let credentials: ClientCredentials | undefined
  try {
    const form = await readForm(request, ctx.maxBodyBytes)
    credentials = clientCredentials(request, form)
    const grantType = form.get('grant_type')
    if (grantType === undefined || grantType === '') throw new InvalidRequestError('grant_type is required')
    const scopeParam = form.get('scope')
    // RFC 6749 §3.2: a parameter sent without a value is treated as omitted — `scope=` asks for
    // the full grant, not for a token with no scope at all.
    const scope = scopeParam === undefined || scopeParam === '' ? undefined : parseScope(scopeParam)
    let tokens: TokenSet
    if (grantType === 'client_credentials') {
      if (!credentials) throw new InvalidClientError('Client authentication is required')
      const client = await authenticateClient(ctx, request, credentials, 'token')
      tokens = await ctx.clientCredentialsGrant(client, scope)
    } else if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token')
      if (!refreshToken) throw new InvalidRequestError('refresh_token is required')
      // Client authentication is required for tokens issued to an API key (checked by the grant,
      // RFC 6749 §6); tokens from createToken have no client and need none.
      const client = credentials ? await authenticateClient(ctx, request, credentials, 'token') : undefined
      tokens = await ctx.refreshGrant(refreshToken, scope, client)
    } else {
      throw new UnsupportedGrantTypeError('This grant_type is not supported')
    }
    const body: Record<string, unknown> = {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      expires_in: tokens.expiresIn,
      scope: tokens.scope,
    }
    if (tokens.refreshToken !== undefined) body.refresh_token = tokens.refreshToken
    return jsonNoStore(200, body)
  } catch (error) {
    return errorResponse(error, { basic: credentials?.method === 'basic' })
  }
}

// A compact JWS: what an access token of this issuer looks like (refresh tokens are `kgr_…`).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * `POST /revoke` (RFC 7009): revokes a refresh token and its rotation family. Answers 200 for
 * unknown or invalid tokens. An access token (or `token_type_hint=access_token` on anything
 * that is not a refresh token) is `400 unsupported_token_type` (§2.2.1): access tokens are
 * self-contained JWTs that stay valid until `exp`, and a 200 would claim otherwise. A token
 * issued through an API key may only be revoked by that key.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
export async function revokeEndpoint(ctx: IssuerContext, request: IssuerRequest): Promise<IssuerResponse> {
  let credentials: ClientCredentials | undefined
  try {
    const form = await readForm(request, ctx.maxBodyBytes)
    credentials = clientCredentials(request, form)
    const token = form.get('token')
    if (!token) throw new InvalidRequestError('token is required')
    const client = credentials ? await authenticateClient(ctx, request, credentials, 'revoke') : undefined
    if (!token.startsWith(`${REFRESH_TOKEN_PREFIX}_`)) {
      if (COMPACT_JWS.test(token) || form.get('token_type_hint') === 'access_token') {
        throw new UnsupportedTokenTypeError('Access tokens cannot be revoked; they expire on their own')
      }
      return emptyNoStore(200)
    }
    let record: RefreshTokenRecord
    try {
      record = await ctx.refreshTokens.verify(token)
    } catch (error) {
      if (error instanceof InvalidGrantError) return emptyNoStore(200)
      throw error
    }
    if (record.apiKeyId !== null) {
      if (!client) throw new InvalidClientError('Client authentication is required to revoke this token')
      if (client.id !== record.apiKeyId) {
        // Not this client's token: nothing happens, and the answer does not say so (RFC 7009 §2.2).
        return emptyNoStore(200)
      }
    }
    await ctx.refreshTokens.revoke(record)
    return emptyNoStore(200)
  } catch (error) {
    return errorResponse(error, { basic: credentials?.method === 'basic' })
  }
}

/**
 * `POST /introspect` (RFC 7662), for the admin credential (Bearer) or any valid API key (client
 * credentials). Answers `{ active: false }` for anything that is not a valid token of this issuer.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
export async function introspectEndpoint(
  ctx: IssuerContext,
  request: IssuerRequest,
): Promise<IssuerResponse> {
  let credentials: ClientCredentials | undefined
  let bearer = false
  try {
    const form = await readForm(request, ctx.maxBodyBytes)
    credentials = clientCredentials(request, form)
    if (credentials) {
      await authenticateClient(ctx, request, credentials, 'introspect')
    } else {
      bearer = true
      await authenticateAdmin(ctx, request, 'introspect')
    }
    const token = form.get('token')
    if (!token) throw new InvalidRequestError('token is required')
    return jsonNoStore(200, await introspect(ctx, token))
  } catch (error) {
    return errorResponse(error, { basic: credentials?.method === 'basic', bearer })
  }
}

async function introspect(ctx: IssuerContext, token: string): Promise<Record<string, unknown>> {
  if (token.startsWith(`${REFRESH_TOKEN_PREFIX}_`)) {
    let record: RefreshTokenRecord
    try {
      record = await ctx.refreshTokens.verify(token)
    } catch (error) {
      // An outage is not an answer about the token: 503, never a false "inactive".
      if (error instanceof UnavailableError) throw error
      return { active: false }
    }
    if (record.consumedAt !== null) return { active: false }
    if (record.apiKeyId !== null && !(await ctx.apiKeys.active(record.apiKeyId))) return { active: false }
    return {
      active: true,
      token_type: 'refresh_token',
      iss: ctx.issuer,
      sub: record.subject,
      aud: record.audience.length === 1 ? record.audience[0] : record.audience,
      scope: record.permissions.join(' '),
      ...(record.apiKeyId === null ? {} : { client_id: record.apiKeyId }),
      iat: Math.floor(record.createdAt / 1000),
      exp: Math.floor(record.expiresAt / 1000),
    }
  }
  try {
    const { payload } = await ctx.verifyAccessToken(token, { anyAudience: true })
    return { active: true, token_type: 'Bearer', ...payload }
  } catch (error) {
    if (error instanceof UnavailableError) throw error
    return { active: false }
  }
}
