import { AuthError, RateLimitedError, UnavailableError } from '../../errors.js'
import type { JWKSSource } from '../../jwks/types.js'
import { createAuth } from '../../verify/create-auth.js'
import type { IssuerContext } from '../context.js'
import { sha256 } from '../encoding.js'
import type { IssuerRequest, IssuerRequestHead, IssuerResponse } from '../exchange.js'
import { type Attempt, checkAdminCredential, guardAttempt, recordFailure } from '../guards.js'
import { pathOf } from '../handler.js'
import { SIGNING_ALGORITHMS } from '../issuer-options.js'
import type { SigningPolicy } from '../key-ring.js'
import { jwksEndpoint } from '../metadata-endpoints.js'
import { jsonNoStore } from '../responses.js'
import type { SecretBox } from '../secret-box.js'
import type { IssuerStore } from '../store.js'
import { type JWThenticatorOptions, resolveJWThenticatorOptions } from './options.js'
import { createKeyRegistry, JWTHENTICATOR_PROTOCOL } from './registered-keys.js'
import { type FieldKind, JWThenticatorBadRequest, readFields } from './request-fields.js'
import { createJWThenticatorRefreshTokens, signJWThenticatorToken } from './tokens.js'

/**
 * The JWThenticator-compatible routes (claroty/jwthenticator's wire contract), served by the
 * issuer's own `handle`/`respond` next to Keygate's routes: the same paths, JSON bodies and
 * statuses, so its Python clients, Nginx `auth_request` set-ups and aiohttp decorators keep
 * working — with the unsafe parts fixed (see the README's "JWThenticator routes").
 */

/** What the routes need from the issuer. */
export interface JWThenticatorDeps {
  ctx: IssuerContext
  store: IssuerStore
  box: SecretBox
  source: JWKSSource
  policy: SigningPolicy
}

/** Answers a JWThenticator route, or `undefined` when the path is not one (Keygate's routes then). */
export type JWThenticatorRouter = (request: IssuerRequest) => Promise<IssuerResponse | undefined>

/** Keys are caller-chosen strings; longer than this is not a key but a payload. */
export const MAX_KEY_LENGTH = 1024
/** Keygate's refresh tokens are 69 characters, JWThenticator's 128: anything far longer is garbage. */
const MAX_REFRESH_TOKEN_LENGTH = 512
/** Far above any JWT these routes sign (RS256-4096 with a few audiences is < 1.5 KB). */
const MAX_JWT_LENGTH = 8192
/**
 * Skew allowed between the instances that share a store. JWThenticator allowed none; a few
 * seconds keep a fresh token of a peer with a slightly fast clock from failing its `iat` check.
 */
const CLOCK_TOLERANCE = '5s'
/** `lastUsedAt` of a registered key is written at most once a minute, as for API keys. */
const LAST_USED_RESOLUTION_MS = 60_000

const KEY: FieldKind = { type: 'string', maxLength: MAX_KEY_LENGTH }
const UUID: FieldKind = { type: 'uuid' }
const RESULT_TRUE = { result: true }

type Group = 'always' | 'internal' | 'external'
type Handler = (request: IssuerRequest) => Promise<IssuerResponse>
interface Route {
  group: Group
  /** `'*'`: any method (the reverse-proxy check: Nginx's `auth_request` keeps the original method). */
  methods: Record<string, Handler> | '*'
  handler?: Handler
}

const json = (status: number, body: unknown, headers?: Record<string, string>) =>
  jsonNoStore(status, body, headers)
const EMPTY = (status: number, headers?: Record<string, string>) => json(status, {}, headers)

/** An error as JWThenticator's routes answer it: marshmallow fields, or `{}` with the status. */
function failure(error: unknown): IssuerResponse {
  if (error instanceof JWThenticatorBadRequest) return json(400, error.fields)
  if (error instanceof UnavailableError || error instanceof RateLimitedError) {
    return EMPTY(error.status, { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfter))) })
  }
  if (AuthError.is(error) && error.status < 500) return EMPTY(error.status === 401 ? 401 : 400)
  return EMPTY(500)
}

/** Creates the router once, at `createIssuer`; options are validated here. */
export function createJWThenticatorRoutes(
  options: JWThenticatorOptions,
  deps: JWThenticatorDeps,
): JWThenticatorRouter {
  const settings = resolveJWThenticatorOptions(options, deps.policy)
  const { ctx, store } = deps
  const { clock, emit } = ctx
  const registry = createKeyRegistry({
    store,
    box: deps.box,
    apiKeys: ctx.apiKeys,
    clock,
    emit,
    keyExpiryMs: settings.keyExpiryMs,
    audience: settings.audience,
  })
  const refreshTokens = createJWThenticatorRefreshTokens({
    store,
    clock,
    ttlMs: settings.refreshExpiryMs,
    audience: settings.audience,
  })
  const verifier = createAuth({
    issuer: ctx.issuer,
    source: deps.source,
    algorithms: [...SIGNING_ALGORITHMS],
    // JWThenticator's `typ`; Keygate's own `at+jwt` access tokens are not accepted here.
    typ: 'JWT',
    audience: settings.audience.length > 0 ? settings.audience : false,
    requiredClaims: ['token_id', 'identifier', 'iat', 'sub', 'jti'],
    clockTolerance: CLOCK_TOLERANCE,
    clock,
  })
  const adminHash = settings.adminToken === undefined ? undefined : sha256(settings.adminToken)
  const maxBody = ctx.maxBodyBytes

  /** The internal group's credential, when configured: 401 `{}` without it. */
  async function checkAdmin(request: IssuerRequestHead, route: string): Promise<IssuerResponse | undefined> {
    if (adminHash === undefined) return undefined
    if ((await checkAdminCredential(ctx, request, route, await adminHash)) === 'ok') return undefined
    return EMPTY(401, { 'www-authenticate': 'Bearer realm="keygate"' })
  }

  async function sign(identifier: string) {
    const key = ctx.keyRing.activeNow() ?? (await ctx.keyRing.active())
    const signed = await signJWThenticatorToken(
      key,
      { issuer: ctx.issuer, identifier, audience: settings.audience, leaseMs: settings.leaseMs },
      clock(),
    )
    return { ...signed, kid: key.kid }
  }

  /** Verifies a JWT of these routes; a 401 of any kind is `false`, outages throw. */
  async function valid(jwt: string): Promise<boolean> {
    if (jwt.length > MAX_JWT_LENGTH) return false
    try {
      const { claims } = await verifier.verify(jwt)
      return typeof claims.token_id === 'string' && typeof claims.identifier === 'string'
    } catch (error) {
      if (error instanceof UnavailableError) throw error
      return false
    }
  }

  async function health(request: IssuerRequestHead): Promise<IssuerResponse> {
    const response = json(200, RESULT_TRUE)
    return request.method === 'HEAD' ? { ...response, body: null } : response
  }

  async function registerKey(request: IssuerRequest): Promise<IssuerResponse> {
    const denied = await checkAdmin(request, 'jwthenticator/register_key')
    if (denied) return denied
    const { key, identifier } = await readFields(request, maxBody, { key: KEY, identifier: UUID })
    const result = await registry.register(key, identifier)
    if (!result.ok)
      throw new JWThenticatorBadRequest({ identifier: ['Key is registered to another identifier.'] })
    return json(201, RESULT_TRUE)
  }

  async function isKeyRegistered(request: IssuerRequest): Promise<IssuerResponse> {
    const denied = await checkAdmin(request, 'jwthenticator/is_key_registered')
    if (denied) return denied
    const { key } = await readFields(request, maxBody, { key: KEY })
    return json(200, { result: await registry.isRegistered(key) })
  }

  async function authenticate(request: IssuerRequest): Promise<IssuerResponse> {
    const { key, identifier } = await readFields(request, maxBody, { key: KEY, identifier: UUID })
    // Caller-chosen keys may be guessable: failures count per address, per address and
    // identifier (both refuse) and per identifier (slows down), like API keys.
    const attempt: Attempt = { address: ctx.clientAddress(request), kind: 'identifier', id: identifier }
    const guarded = guardAttempt(ctx, attempt)
    if (guarded) await guarded
    const result = await registry.authenticate(key, identifier)
    if (!result.ok) {
      await recordFailure(ctx, 'jwthenticator/authenticate', result.reason, result.keyId, attempt)
      return EMPTY(401)
    }
    const { record } = result
    const now = clock()
    if (record.lastUsedAt === null || now - record.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      await store.touchAPIKey(record.id, now)
    }
    emit({ type: 'key_used', keyId: record.id, subject: identifier, at: now })
    const [refresh, signed] = await Promise.all([
      refreshTokens.issue(record.id, identifier),
      sign(identifier),
    ])
    emit({
      type: 'token_issued',
      grant: 'client_credentials',
      subject: identifier,
      keyId: record.id,
      jti: signed.tokenId,
      kid: signed.kid,
      expiresAt: signed.expiresAt,
      refreshTokenId: refresh.record.id,
      at: clock(),
    })
    return json(200, { jwt: signed.token, refresh_token: refresh.token })
  }

  async function refresh(request: IssuerRequest): Promise<IssuerResponse> {
    const { refresh_token: token, identifier } = await readFields(request, maxBody, {
      refresh_token: { type: 'string', maxLength: MAX_REFRESH_TOKEN_LENGTH },
      identifier: UUID,
    })
    // A refresh token names no public id before it is verified: failures count per address.
    const attempt: Attempt = { address: ctx.clientAddress(request) }
    const guarded = guardAttempt(ctx, attempt)
    if (guarded) await guarded
    const verified = await refreshTokens.verify(token, identifier)
    let reason: string | undefined = verified.ok ? undefined : verified.reason
    let keyId: string | null = null
    if (verified.ok) {
      keyId = verified.record.apiKeyId
      // Bound to its key: a revoked or expired key (or a renewed one) ends its refresh tokens.
      const key = keyId === null ? undefined : await registry.live(keyId)
      if (!key || key.subject !== verified.record.subject) reason = 'key_inactive'
    }
    if (!verified.ok || reason !== undefined) {
      await recordFailure(ctx, 'jwthenticator/refresh', reason ?? 'unknown', keyId, attempt)
      return EMPTY(401)
    }
    const signed = await sign(identifier)
    emit({
      type: 'token_issued',
      grant: 'refresh_token',
      subject: identifier,
      keyId,
      jti: signed.tokenId,
      kid: signed.kid,
      expiresAt: signed.expiresAt,
      refreshTokenId: verified.record.id,
      at: clock(),
    })
    // No new refresh token: JWThenticator does not rotate, and its client keeps the one it has.
    return json(200, { jwt: signed.token })
  }

  async function validate(request: IssuerRequest): Promise<IssuerResponse> {
    const { jwt } = await readFields(request, maxBody, { jwt: { type: 'string', maxLength: MAX_JWT_LENGTH } })
    return (await valid(jwt)) ? json(200, RESULT_TRUE) : EMPTY(401)
  }

  /**
   * The Nginx `auth_request` check: 200, 401 or 403 and nothing else, whatever arrives — the
   * proxy turns any other status into a 500 for the user. 403: no `Authorization`, or not
   * `Bearer <jwt>` (JWThenticator's split on one space). 401: the JWT does not verify — and
   * also when the keys cannot be had at all (a cold process with its store down): failing closed
   * with the status that makes clients refresh and retry, with `Retry-After` as a hint. Once a
   * process has loaded its keys it validates from memory through a store outage.
   */
  async function validateRequest(request: IssuerRequestHead): Promise<IssuerResponse> {
    const answer = (status: 200 | 401 | 403, headers?: Record<string, string>) => {
      const response = EMPTY(status, headers)
      return request.method === 'HEAD' ? { ...response, body: null } : response
    }
    try {
      const authorization = request.headers.get('authorization')
      if (authorization === null) return answer(403)
      const parts = authorization.split(' ')
      if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'bearer' || parts[1] === '') return answer(403)
      return (await valid(parts[1]!)) ? answer(200) : answer(401)
    } catch (error) {
      const retryAfter =
        error instanceof UnavailableError ? Math.max(1, Math.ceil(error.retryAfter)) : undefined
      return answer(401, retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) })
    }
  }

  const jwks: Handler = (request) => jwksEndpoint(ctx, request)
  const routes: Record<string, Route> = {
    '/': { group: 'always', methods: { GET: health, HEAD: health } },
    '/health': { group: 'always', methods: { GET: health, HEAD: health } },
    '/jwks': { group: 'always', methods: { GET: jwks, HEAD: jwks } },
    '/register_key': { group: 'internal', methods: { POST: registerKey } },
    '/is_key_registered': { group: 'internal', methods: { POST: isKeyRegistered } },
    '/authenticate': { group: 'external', methods: { POST: authenticate } },
    '/refresh': { group: 'external', methods: { POST: refresh } },
    '/validate': { group: 'external', methods: { POST: validate } },
    '/validate_request': { group: 'external', methods: '*', handler: validateRequest },
  }
  const enabled: Record<Group, boolean> = {
    always: true,
    internal: settings.internal,
    external: settings.external,
  }
  const { prefix } = settings

  return async function jwthenticator(request: IssuerRequest): Promise<IssuerResponse | undefined> {
    let path = pathOf(request.url)
    if (prefix !== '') {
      if (!path.startsWith(`${prefix}/`)) return undefined
      path = path.slice(prefix.length)
    }
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined
    if (!route) return undefined
    // A disabled group does not exist (JWThenticator's DISABLE_*_API): 404, like any unknown path.
    if (!enabled[route.group]) return EMPTY(404)
    if (route.methods === '*') return route.handler!(request)
    const handler = Object.hasOwn(route.methods, request.method) ? route.methods[request.method] : undefined
    if (!handler) return EMPTY(405, { allow: Object.keys(route.methods).join(', ') })
    try {
      return await handler(request)
    } catch (error) {
      return failure(error)
    }
  }
}

export { JWTHENTICATOR_PROTOCOL }
