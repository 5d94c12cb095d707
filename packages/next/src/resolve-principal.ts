/**
 * How route handlers and server code find the principal: a genuine signed header from the
 * middleware, or else their own verification of the token. An identity header is never taken
 * on trust. Builds on core's `Auth.authenticate`, `extractBearerToken` and `authorize`.
 */
import { type AuthResult, authorize, type Principal, type RequestLike, type Requirement } from '@keygate/core'
import type { AuthError } from '@keygate/core/errors'
import { extractBearerToken } from '@keygate/core/http'
import type { Settings } from './options.js'
import { PRINCIPAL_HEADER, verifyPrincipal } from './signed-principal.js'

/** The principal, `null` for an anonymous request that is allowed, or the error to answer with. */
export type Resolution = { ok: true; principal: Principal | null } | { ok: false; error: AuthError }

/**
 * Resolves and authorizes the caller of a request.
 *
 * @example
 * const resolution = await resolvePrincipal(request, settings, { requirement: { scopes: ['write'] } })
 */
export async function resolvePrincipal(
  request: RequestLike,
  settings: Settings,
  options: { requirement?: Requirement | undefined; optional?: boolean | undefined } = {},
): Promise<Resolution> {
  const result =
    (await fromSignedHeader(request, settings)) ?? (await authenticate(request, settings, options.optional))
  // Core answers a request without any token with `principal: null` only when `optional`.
  if (!result.ok || result.principal === null) return result
  if (options.requirement) {
    const verdict = await authorize(result.principal, options.requirement)
    if (!verdict.ok) return verdict
  }
  return result
}

function authenticate(request: RequestLike, settings: Settings, optional = false): Promise<Resolution> {
  return settings
    .getAuth()
    .authenticate(request, optional ? settings.optionalAuthenticateOptions : settings.authenticateOptions)
}

async function fromSignedHeader(request: RequestLike, settings: Settings): Promise<AuthResult | undefined> {
  const value = request.headers.get(PRINCIPAL_HEADER)
  if (value === null || settings.secret === undefined) return undefined
  const token = await findToken(request, settings)
  if (!token) return undefined
  const principal = await verifyPrincipal(value, { secret: settings.secret, token, now: settings.now() })
  return principal ? { ok: true, principal } : undefined
}

// The header is bound to the request's token; any trouble finding it is left to `authenticate`,
// which reports it properly.
async function findToken(request: RequestLike, settings: Settings): Promise<string | undefined> {
  try {
    const { getToken, allowQuery } = settings.authenticateOptions
    const token = getToken ? await getToken(request) : extractBearerToken(request, { allowQuery })
    return token ?? undefined
  } catch {
    return undefined
  }
}
