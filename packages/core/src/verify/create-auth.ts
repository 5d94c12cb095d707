import {
  AuthError,
  ClaimInvalidError,
  IssuerUntrustedError,
  KeyNotFoundError,
  SignatureInvalidError,
  TokenMalformedError,
  TokenMissingError,
} from '../errors.js'
import { bearerTokenOf } from '../http/bearer.js'
import { isPrivateJWK } from '../jwks/private-key.js'
import { createRemoteJWKS } from '../jwks/remote.js'
import type { JWK, JWTClaims, OptionalAuthResult, Principal, RequestLike } from '../types.js'
import { checkClaims } from './claims.js'
import { createJWSDecoder } from './decode.js'
import { freezeDeep } from './freeze-deep.js'
import { checkHeader, rejectUnsigned } from './header.js'
import { toAuthError } from './map-error.js'
import { type ResolvedIssuer, resolveOptions } from './resolve-options.js'
import { resolveRevocation, revokedError } from './revocation.js'
import { createSignatureBackend } from './signature.js'
import { type CacheEntry, createTokenCache } from './token-cache.js'
import type { Auth, AuthenticateOptions, AuthOptions } from './types.js'

/** One frozen answer for every anonymous request of `authenticate(request, { optional: true })`. */
const ANONYMOUS = Object.freeze({ ok: true, principal: null }) as {
  readonly ok: true
  readonly principal: null
}

const NO_OPTIONS: AuthenticateOptions = Object.freeze({})

/**
 * Creates a verifier for one or more trusted issuers: `verify(token)` returns the principal or
 * throws an `AuthError`; `authenticate(request)` finds the bearer token and never throws for a
 * client's mistake. Every option is checked here, once. The token's unverified `iss` selects
 * the issuer, so only configured issuers are ever contacted; cheap checks (size, format, `alg`,
 * `iss`, `aud`, expiry) run before any key is fetched. On Node, signatures are checked with
 * node:crypto synchronously; elsewhere with WebCrypto.
 *
 * @example
 * const auth = createAuth({ issuer: 'https://login.example.com', audience: 'https://api.example.com' })
 * const result = await auth.authenticate(request)
 * if (!result.ok) return toResponse(result.error)
 * @see https://www.rfc-editor.org/rfc/rfc8725
 * @see https://www.rfc-editor.org/rfc/rfc9068
 */
export function createAuth<C extends JWTClaims = JWTClaims>(options: AuthOptions<C>): Auth<C> {
  const backend = createSignatureBackend()
  const resolved = resolveOptions<C>(options, backend, createRemoteJWKS)
  const { issuers, clock } = resolved
  const decodeJWS = createJWSDecoder(resolved.maxTokenBytes)
  const cache = resolved.tokenCache === undefined ? undefined : createTokenCache<C>(resolved.tokenCache.max)
  const cacheTTL = resolved.tokenCache?.ttlMs
  const revocation = resolveRevocation(options.revocation)
  // With one issuer (the common case) the lookup is a string comparison.
  const only: ResolvedIssuer<C> | undefined = issuers.size === 1 ? issuers.values().next().value : undefined

  // By the unverified `iss`, compared exactly (RFC 7519 §4.1.1): an unknown issuer is never
  // contacted, so a token cannot make the verifier fetch from a URL of its choosing.
  function selectIssuer(iss: unknown): ResolvedIssuer<C> {
    // RFC 7519 §4.1.1: a StringOrURI. Any other type is a malformed claim, not an unknown issuer.
    if (iss !== undefined && typeof iss !== 'string') {
      throw new ClaimInvalidError('The "iss" claim is not a string', 'iss')
    }
    const issuer = only !== undefined ? (iss === only.issuer ? only : undefined) : issuers.get(iss as string)
    if (issuer === undefined) throw new IssuerUntrustedError('The token issuer is not trusted')
    return issuer
  }

  function remember(
    token: string,
    issuer: ResolvedIssuer<C>,
    claims: JWTClaims,
    jwk: JWK | undefined,
    now: number,
    principal: Principal<C>,
    revocationVersion: number | undefined,
  ): void {
    // HMAC tokens depend on the configured secret only; others on their key staying published.
    const source = jwk === undefined ? undefined : issuer.source
    const keys = source?.peek()
    // Without a view of the key set, a rotation could not be noticed: such tokens are not cached.
    if (source !== undefined && keys === undefined) return
    const { exp, nbf, iat } = claims
    let expiresAt = typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY
    if (cacheTTL !== undefined) expiresAt = Math.min(expiresAt, now + cacheTTL)
    const maxAge = issuer.claims.maxAgeMs
    if (maxAge !== undefined && typeof iat === 'number') expiresAt = Math.min(expiresAt, iat * 1000 + maxAge)
    if (!(expiresAt > now) || expiresAt === Number.POSITIVE_INFINITY) return
    const start = Math.max(
      typeof nbf === 'number' ? nbf : Number.NEGATIVE_INFINITY,
      typeof iat === 'number' ? iat : Number.NEGATIVE_INFINITY,
    )
    cache!.set({
      token,
      // Shared by every later hit: nobody may change what the next request sees.
      principal: freezeDeep(principal),
      expiresAt,
      notBefore: start * 1000 - issuer.claims.toleranceMs,
      source,
      jwk,
      keys,
      revocationVersion,
    })
  }

  async function verify(token: string): Promise<Principal<C>> {
    if (typeof token !== 'string') throw new TokenMalformedError('The token is not a string')
    if (cache !== undefined) {
      const entry = cache.hit(token, clock())
      if (entry !== undefined) {
        // A cached token was verified before it may have been revoked: asked again on a hit
        // unless the source's version says nothing was revoked since it was last asked.
        if (revocation !== undefined) {
          const version = revocation.version
          if (version === undefined || entry.revocationVersion !== version) {
            const pending = refuseRevoked(entry.principal.claims, entry.principal.issuer)
            if (pending !== undefined) await pending
            if (version !== undefined) entry.revocationVersion = version
          }
        }
        return entry.principal
      }
    }
    const { header, claims, signingInput, signature } = decodeJWS(token)
    rejectUnsigned(header)
    const issuer = selectIssuer(claims.iss)
    checkHeader(header, issuer.header)
    const now = clock()
    checkClaims(claims, issuer.claims, now)

    // Only now, with every cheap check passed, may the key source do I/O.
    const alg = header.alg
    let check = issuer.secretChecks.get(alg)
    let jwk: JWK | undefined
    if (check === undefined) {
      const source = issuer.source!
      const selector = { kid: header.kid, alg }
      try {
        // A key at hand is taken without waiting on a promise; only a fetch is waited for.
        jwk = source.keyNow?.(selector) ?? (await source.getKey(selector))
      } catch (error) {
        throw toAuthError(error, 'source')
      }
      // Our sources never hand out a private key; a custom one might. Whatever it verifies
      // proves nothing, since whoever published it can sign (RFC 7517 §9.2).
      if (isPrivateJWK(jwk)) throw new KeyNotFoundError('The key source returned a private key')
      check = backend.forKey(jwk, alg)
    }
    let valid = check(signingInput, signature)
    if (typeof valid !== 'boolean') valid = await valid
    if (!valid) throw new SignatureInvalidError('The token signature is invalid')
    // Only a verified token's claims are trusted to name what it belongs to (jti, sub, client_id).
    // The version is read first: a revocation arriving during an asynchronous answer changes it.
    const revocationVersion = revocation?.version
    const pending = revocation === undefined ? undefined : refuseRevoked(claims, issuer.issuer)
    if (pending !== undefined) await pending

    // Claim-only providers need no await; a builder may answer synchronously.
    const built: Principal<C> | Promise<Principal<C>> = issuer.buildPrincipal({
      header,
      claims,
      token,
      issuer: issuer.issuer,
    })
    const principal = built instanceof Promise ? await built : built
    if (cache !== undefined) remember(token, issuer, claims, jwk, now, principal, revocationVersion)
    return principal
  }

  // Not awaited when the source answers at once (a local copy): no promise on the hot path.
  function refuseRevoked(claims: JWTClaims, iss: string): Promise<void> | undefined {
    const answer = revocation!.isRevoked({ claims, issuer: iss })
    if (answer === false) return undefined
    // Anything but `false` refuses: a source that cannot say "not revoked" must not let a token in.
    if (answer === true) throw revokedError()
    return Promise.resolve(answer).then((revoked) => {
      if (revoked !== false) throw revokedError()
    })
  }

  // A cached token passed `decodeJWS`: base64url segments, so a b64token. `Bearer` + one space +
  // exactly that token is then what extraction would return, and its checks (a regex over the
  // whole header) can be skipped. Only `?access_token=` could object (callers rule it out).
  function cachedFor(authorization: string | null): Principal<C> | undefined {
    if (cache === undefined || !authorization?.startsWith('Bearer ')) return undefined
    const entry = cache.hit(authorization.slice(7), clock())
    if (entry === undefined) return undefined
    // The common case, inline: no source, or nothing revoked since this token was last checked.
    if (
      revocation === undefined ||
      (entry.revocationVersion !== undefined && entry.revocationVersion === revocation.version)
    ) {
      return entry.principal
    }
    return stillNotRevoked(entry) ? entry.principal : undefined
  }

  // Only a synchronous "not revoked" answers here; a revoked token (or an asynchronous source)
  // goes through `verify`, which gives the error. Unchanged version: the last answer stands.
  function stillNotRevoked(entry: CacheEntry<C>): boolean {
    const version = revocation!.version
    if (version !== undefined && entry.revocationVersion === version) return true
    const { claims, issuer } = entry.principal
    if (revocation!.isRevoked({ claims, issuer }) !== false) return false
    if (version !== undefined) entry.revocationVersion = version
    return true
  }

  // The answer for a request that sent no credential at all.
  function noToken(optional: boolean | undefined): OptionalAuthResult<C> {
    // Only the absence of any credential is anonymous; every adapter's `optional` means this.
    if (optional) return ANONYMOUS
    // RFC 6750 §3.1: no credentials at all is a 401 without an error code.
    return { ok: false, error: new TokenMissingError() }
  }

  // A client's mistake is an answer; a bug (ours, a provider's, a bad configuration) is thrown.
  function failed(error: unknown): OptionalAuthResult<C> {
    if (AuthError.is(error) && error.code !== 'ERR_CONFIGURATION') return { ok: false, error }
    throw error
  }

  const verified = (principal: Principal<C>): OptionalAuthResult<C> => ({ ok: true, principal })

  async function authenticateWith(
    request: RequestLike,
    getToken: NonNullable<AuthenticateOptions['getToken']>,
    optional: boolean | undefined,
  ): Promise<OptionalAuthResult<C>> {
    try {
      const token = await getToken(request)
      if (token === undefined || token === null || token === '') return noToken(optional)
      return verified(await verify(token))
    } catch (error) {
      return failed(error)
    }
  }

  // Not `async`: the bearer header is read and a cached token answered in this turn, with one
  // settled promise instead of a chain of them (this runs on every request). Still never throws:
  // a bug comes back as a rejected promise, as from an async function.
  function authenticate(
    request: RequestLike,
    authenticateOptions: AuthenticateOptions = NO_OPTIONS,
  ): Promise<OptionalAuthResult<C>> {
    try {
      const { getToken, optional } = authenticateOptions
      if (getToken !== undefined) return authenticateWith(request, getToken, optional)
      const authorization = request.headers.get('authorization')
      // getToken was handled above; `?access_token=` could object to a header token.
      if (!authenticateOptions.allowQuery) {
        const hit = cachedFor(authorization)
        if (hit !== undefined) return Promise.resolve(verified(hit))
      }
      const token = bearerTokenOf(authorization, request, authenticateOptions)
      if (token === undefined) return Promise.resolve(noToken(optional))
      return verify(token).then(verified, failed)
    } catch (error) {
      try {
        return Promise.resolve(failed(error))
      } catch (bug) {
        return Promise.reject(bug)
      }
    }
  }

  return {
    verify,
    authenticate: authenticate as Auth<C>['authenticate'],
    cachedPrincipal(request, options = NO_OPTIONS) {
      // Only the plain bearer header is looked up; a token finder or `?access_token=` needs authenticate.
      if (options.getToken !== undefined || options.allowQuery) return undefined
      return cachedFor(request.headers.get('authorization'))
    },
    close() {
      for (const issuer of issuers.values()) if (issuer.ownsSource) issuer.source?.close()
    },
  }
}
