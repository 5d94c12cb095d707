import { toMs } from '../duration.js'
import { InvalidClientError, InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors.js'
import { type AccessTokenContent, checkCustomClaims, signAccessToken } from './access-token.js'
import type { APIKeyService } from './api-keys.js'
import type { ResolvedIssuerOptions } from './issuer-options.js'
import { type KeyRing, RING_REFRESH_MS } from './key-ring.js'
import type { RefreshTokenService } from './refresh-tokens.js'
import type { APIKeyRecord, RefreshTokenRecord } from './store.js'
import type { CreateTokenInput, IssuerEvent, TokenSet } from './types.js'
import { checkAudience, checkObject, checkScopeList, checkText } from './validation.js'

/** Expired refresh tokens are swept from the store at most this often (when the store can). */
const REFRESH_SWEEP_MS = 3_600_000

/** The three ways a token set comes to be: `createToken`, and the two `/token` grants. */
export interface Grants {
  direct(input: CreateTokenInput): Promise<TokenSet>
  clientCredentials(client: APIKeyRecord, scope: string[] | undefined): Promise<TokenSet>
  refresh(token: string, scope: string[] | undefined, client: APIKeyRecord | undefined): Promise<TokenSet>
}

// Shared and frozen: a store may keep them by reference (the memory store does) instead of a
// copy per refresh token.
const NO_GROUPS = Object.freeze([]) as unknown as string[]
const NO_CLAIMS = Object.freeze({}) as Record<string, unknown>

type IssuedRefresh = { token: string; record: RefreshTokenRecord } | undefined

const NO_REFRESH = Promise.resolve(undefined)

function subset(requested: readonly string[], granted: readonly string[]): boolean {
  return requested.every((s) => granted.includes(s))
}

export function createGrants(
  options: ResolvedIssuerOptions,
  services: { keyRing: KeyRing; apiKeys: APIKeyService; refreshTokens: RefreshTokenService },
): Grants {
  const { issuer, audience, clock, emit, store, accessTtlMs, rotation } = options
  const { keyRing, apiKeys, refreshTokens } = services
  let nextSweepAt = 0

  // Housekeeping rides on issuing: no timer to keep a process alive or to stop.
  function sweep() {
    const now = clock()
    if (now < nextSweepAt || !store.deleteExpiredRefreshTokens) return
    nextSweepAt = now + REFRESH_SWEEP_MS
    store.deleteExpiredRefreshTokens(now).catch(() => {
      nextSweepAt = now
    })
  }

  /** Signs the access token (while the refresh token, if any, is being stored) and reports it. */
  async function respond(
    grant: Extract<IssuerEvent, { type: 'token_issued' }>['grant'],
    content: Omit<AccessTokenContent, 'issuer'>,
    pendingRefresh: Promise<IssuedRefresh>,
  ): Promise<TokenSet> {
    sweep()
    // The refresh token is being stored meanwhile (a round trip with a database store). Mark its
    // failure handled now: it may reject while the key ring is awaited below, before anyone awaits
    // it, and Node ends the process on an unhandled rejection (a database outage did exactly that).
    // The rejection still reaches `await pendingRefresh`.
    pendingRefresh.catch(() => {})
    const key = keyRing.activeNow() ?? (await keyRing.active())
    const signing = signAccessToken(key, { issuer, ...content }, clock())
    const signed = signing instanceof Promise ? await signing : signing
    const refresh = await pendingRefresh
    emit({
      type: 'token_issued',
      grant,
      subject: content.subject,
      keyId: grant === 'direct' ? null : content.clientId,
      jti: signed.jti,
      kid: key.kid,
      expiresAt: signed.expiresAt,
      refreshTokenId: refresh?.record.id ?? null,
      at: clock(),
    })
    return {
      accessToken: signed.token,
      tokenType: 'Bearer',
      expiresIn: signed.expiresIn,
      ...(refresh
        ? {
            refreshToken: refresh.token,
            // Rounded up: a millisecond spent signing must not make a cookie's Max-Age a second short.
            refreshExpiresIn: Math.max(0, Math.ceil((refresh.record.expiresAt - clock()) / 1000)),
          }
        : {}),
      scope: content.permissions.join(' '),
    }
  }

  return {
    async direct(input) {
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
      let ttlMs = accessTtlMs
      if (input.expiresIn !== undefined) {
        try {
          ttlMs = toMs(input.expiresIn, 'expiresIn')
        } catch {
          ttlMs = Number.NaN
        }
        // A token may not outlive its key's publication, or it would stop verifying early.
        if (!(ttlMs > 0) || ttlMs > options.policy.retireAfter - RING_REFRESH_MS) {
          throw new InvalidRequestError('expiresIn must be positive and shorter than signing.retireAfter')
        }
      }
      const clientId = input.clientId === undefined ? null : checkText(input.clientId, 'clientId')
      const data =
        typeof input.refresh === 'object' && input.refresh !== null
          ? checkObject(input.refresh.data, 'refresh.data')
          : null
      const grant = { apiKeyId: null, subject, permissions, groups, audience: tokenAudience, claims, data }
      const issued = input.refresh ? refreshTokens.issue(grant) : undefined
      return respond(
        'direct',
        {
          subject,
          audience: tokenAudience,
          permissions,
          groups,
          claims,
          clientId,
          sessionId: issued?.familyId ?? null,
          ttlMs,
        },
        issued?.stored ?? NO_REFRESH,
      )
    },

    async clientCredentials(client, scope) {
      if (scope && !subset(scope, client.permissions)) {
        throw new InvalidScopeError('The requested scope exceeds what the API key grants')
      }
      const permissions = scope ?? client.permissions
      const tokenAudience = client.audience ?? audience
      const grant = {
        apiKeyId: client.id,
        subject: client.subject,
        permissions,
        groups: NO_GROUPS,
        audience: tokenAudience,
        claims: NO_CLAIMS,
        data: null,
      }
      const issued = options.issueRefreshTokens ? refreshTokens.issue(grant) : undefined
      return respond(
        'client_credentials',
        {
          subject: client.subject,
          audience: tokenAudience,
          permissions,
          groups: NO_GROUPS,
          claims: NO_CLAIMS,
          clientId: client.id,
          sessionId: issued?.familyId ?? null,
          ttlMs: accessTtlMs,
        },
        issued?.stored ?? NO_REFRESH,
      )
    },

    async refresh(token, scope, client) {
      const record = await refreshTokens.verify(token)
      // A token consumed while rotation was on stays spent if rotation has been turned off since.
      if (!rotation && record.consumedAt !== null)
        throw new InvalidGrantError('The refresh token was already used')
      // RFC 6749 §6: a client that was issued credentials must authenticate to refresh, and only
      // its own tokens. A refresh token of an API key is therefore useless without that key: a
      // leaked refresh token alone cannot mint access tokens. Only tokens from `createToken`
      // (no client) are refreshed by the refresh token alone.
      if (record.apiKeyId !== null && !client) {
        throw new InvalidClientError('Client authentication is required to refresh this token')
      }
      if (client && record.apiKeyId !== client.id) {
        throw new InvalidGrantError('The refresh token was not issued to this client')
      }
      let keyPermissions: readonly string[] | undefined
      if (record.apiKeyId !== null) {
        // Bound to its API key: a revoked or expired key ends the chain.
        const key = await apiKeys.active(record.apiKeyId)
        if (!key || key.subject !== record.subject) {
          throw new InvalidGrantError('The API key of this refresh token is no longer valid')
        }
        keyPermissions = key.permissions
      }
      let { permissions, groups, claims } = record
      const decision = options.onRefresh
        ? await options.onRefresh({
            subject: record.subject,
            apiKeyId: record.apiKeyId,
            permissions,
            groups,
            claims,
            data: record.data,
          })
        : undefined
      if (decision === false) throw new InvalidGrantError('The refresh was refused')
      if (decision) {
        if (decision.permissions !== undefined)
          permissions = checkScopeList(decision.permissions, 'permissions')
        if (decision.groups !== undefined) groups = checkScopeList(decision.groups, 'groups')
        if (decision.claims !== undefined) claims = checkCustomClaims(checkObject(decision.claims, 'claims'))
      }
      // A key whose permissions shrank cannot hand out the old ones through a refresh.
      if (keyPermissions) permissions = permissions.filter((p) => keyPermissions.includes(p))
      if (scope && !subset(scope, permissions)) {
        throw new InvalidScopeError('The requested scope exceeds the scope of the refresh token')
      }
      // Checked before rotating, so a refused request does not spend the token.
      const rotated = rotation ? await refreshTokens.rotate(record) : undefined
      return respond(
        'refresh_token',
        {
          subject: record.subject,
          audience: record.audience,
          permissions: scope ?? permissions,
          groups,
          claims,
          clientId: record.apiKeyId,
          // The same family with or without rotation: its revocation covers this token too.
          sessionId: record.familyId,
          ttlMs: accessTtlMs,
        },
        Promise.resolve(rotated),
      )
    },
  }
}
