import { InvalidClientError, RateLimitedError, TokenMissingError } from '../errors.js'
import { CredentialRejected } from './api-keys.js'
import type { ClientCredentials } from './client-auth.js'
import type { IssuerContext } from './context.js'
import { constantTimeEqual, sha256 } from './encoding.js'
import type { IssuerRequestHead } from './exchange.js'
import type { APIKeyRecord } from './store.js'

/**
 * Credential checks with rate limiting: failures are counted per API key id and per client
 * address, and a caller over the limit is refused (429) before any credential work is done.
 */

/**
 * Throws `RateLimitedError` when the key id or the address is over its limit. Both are asked at
 * once (one round trip's wait with a shared limiter); a limiter that answers at once (memory)
 * costs no promise at all.
 */
function refuseIfLimited(
  ctx: IssuerContext,
  keyId: string | undefined,
  address: string | undefined,
): Promise<void> | undefined {
  const { limiter } = ctx
  if (!limiter) return undefined
  const byKey = keyId === undefined ? 0 : limiter.check(`key:${keyId}`)
  const byAddress = address === undefined ? 0 : limiter.check(`address:${address}`)
  const decide = (key: number, addr: number) => {
    refuse(ctx, 'key', keyId, address, key)
    refuse(ctx, 'address', keyId, address, addr)
  }
  if (typeof byKey === 'number' && typeof byAddress === 'number') {
    decide(byKey, byAddress)
    return undefined
  }
  return Promise.all([byKey, byAddress]).then(([key, addr]) => decide(key, addr))
}

function refuse(
  ctx: IssuerContext,
  scope: 'key' | 'address',
  keyId: string | undefined,
  address: string | undefined,
  retryAfter: number,
) {
  if (retryAfter <= 0) return
  ctx.emit({
    type: 'rate_limited',
    scope,
    keyId: keyId ?? null,
    address: address ?? null,
    retryAfter,
    at: ctx.clock(),
  })
  throw new RateLimitedError('Too many failed attempts; retry later', retryAfter)
}

async function recordFailure(
  ctx: IssuerContext,
  route: string,
  reason: string,
  keyId: string | null,
  address: string | undefined,
) {
  ctx.emit({ type: 'auth_failed', route, reason, keyId, address: address ?? null, at: ctx.clock() })
  if (!ctx.limiter) return
  if (keyId !== null) await ctx.limiter.fail(`key:${keyId}`)
  if (address !== undefined) await ctx.limiter.fail(`address:${address}`)
}

/**
 * Authenticates an API key sent as client credentials. `client_id`, when sent, must be the
 * key's own id. Throws `InvalidClientError` (401) or `RateLimitedError` (429).
 */
export async function authenticateClient(
  ctx: IssuerContext,
  request: IssuerRequestHead,
  credentials: ClientCredentials,
  route: string,
): Promise<APIKeyRecord> {
  const address = ctx.clientAddress(request)
  // The id is only trusted for counting once the checksum held; garbage counts per address.
  const keyId = ctx.apiKeys.parse(credentials.secret)
  const limited = refuseIfLimited(ctx, keyId, address)
  if (limited) await limited
  try {
    if (credentials.clientId !== undefined && credentials.clientId !== keyId) {
      throw new CredentialRejected('client_id_mismatch', keyId ?? null)
    }
    return await ctx.apiKeys.authenticate(credentials.secret, keyId)
  } catch (error) {
    if (error instanceof CredentialRejected)
      await recordFailure(ctx, route, error.reason, error.keyId, address)
    throw error
  }
}

/** Authenticates `Authorization: Bearer <adminToken>`; the token is compared by hash, in constant time. */
export async function authenticateAdmin(
  ctx: IssuerContext,
  request: IssuerRequestHead,
  route: string,
): Promise<void> {
  const header = request.headers.get('authorization')
  const match = header === null ? null : /^bearer\s+(\S+)\s*$/i.exec(header.trim())
  if (!match) throw new TokenMissingError('The admin credential is missing')
  const address = ctx.clientAddress(request)
  const limited = refuseIfLimited(ctx, undefined, address)
  if (limited) await limited
  if (ctx.adminTokenHash === undefined || !constantTimeEqual(await sha256(match[1]!), ctx.adminTokenHash)) {
    await recordFailure(ctx, route, 'admin_mismatch', null, address)
    throw new InvalidClientError('The admin credential is invalid')
  }
}
