import { InvalidClientError, RateLimitedError, TokenMissingError } from '../errors.js'
import { CredentialRejected } from './api-keys.js'
import type { ClientCredentials } from './client-auth.js'
import type { IssuerContext } from './context.js'
import { constantTimeEqual, sha256 } from './encoding.js'
import type { IssuerRequestHead } from './exchange.js'
import type { APIKeyRecord } from './store.js'
import type { IssuerEvent } from './types.js'

/**
 * Credential checks with rate limiting that a stranger cannot turn against a key's owner. The
 * key id is public (it is the `client_id`), so failures are counted three ways:
 *
 * - per client address, with a budget `addressScale` times the base one: one address guessing
 *   at many keys is refused (429);
 * - per address and key (or identifier, or the admin credential): one address guessing at one
 *   key is refused once it has used the base budget;
 * - per key alone: never refuses — the right secret from another address still works — but
 *   once the budget is used, every attempt for that key waits `slowdown` first, which slows a
 *   guesser spread over many addresses down.
 */

/** What a credential attempt names; the counters it is checked against follow from it. */
export interface Attempt {
  /** The client address, when the runtime or a trusted proxy tells it. */
  readonly address: string | undefined
  /** The credential's owner: an API key id (public), a JWThenticator identifier, the admin credential. */
  readonly kind?: 'key' | 'identifier' | 'admin'
  readonly id?: string | null
}

type RefuseScope = Extract<IssuerEvent, { type: 'rate_limited' }>['scope']
type SlowScope = Extract<IssuerEvent, { type: 'rate_slowed' }>['scope']

/** Over budget, a `refuse` counter answers 429; a `slow` one makes the attempt wait. */
type Counter = { readonly key: string; readonly scale: number } & (
  | { readonly effect: 'refuse'; readonly scope: RefuseScope }
  | { readonly effect: 'slow'; readonly scope: SlowScope }
)

const OWNER_PREFIX = { key: 'key:', identifier: 'jwthenticator-identifier:', admin: 'admin' } as const

function countersOf(ctx: IssuerContext, attempt: Attempt): Counter[] {
  const counters: Counter[] = []
  const { address, kind } = attempt
  const owner =
    kind === undefined
      ? undefined
      : kind === 'admin'
        ? 'admin'
        : attempt.id
          ? OWNER_PREFIX[kind] + attempt.id
          : undefined
  if (address !== undefined) {
    counters.push({ key: `address:${address}`, scale: ctx.addressScale, effect: 'refuse', scope: 'address' })
    if (owner !== undefined)
      counters.push({
        key: `address:${address}|${owner}`,
        scale: 1,
        effect: 'refuse',
        scope: `address+${kind!}`,
      })
  }
  if (owner !== undefined) counters.push({ key: owner, scale: 1, effect: 'slow', scope: kind! })
  return counters
}

/**
 * Refuses (throws `RateLimitedError`, 429) when the address, or the address with this key, is
 * over its budget; makes the attempt wait when the key alone is. Every counter is asked at once
 * (one round trip's wait with a shared limiter); a limiter that answers at once (memory) costs
 * no promise unless the attempt has to wait.
 */
export function guardAttempt(ctx: IssuerContext, attempt: Attempt): Promise<void> | undefined {
  const { limiter } = ctx
  if (!limiter) return undefined
  const counters = countersOf(ctx, attempt)
  if (counters.length === 0) return undefined
  const waits = counters.map((counter) => limiter.check(counter.key, counter.scale))
  if (waits.every((wait) => typeof wait === 'number'))
    return decide(ctx, attempt, counters, waits as number[])
  return Promise.all(waits).then((answers) => decide(ctx, attempt, counters, answers))
}

function decide(
  ctx: IssuerContext,
  attempt: Attempt,
  counters: readonly Counter[],
  waits: readonly number[],
): Promise<void> | undefined {
  const keyId = attempt.kind === 'key' ? (attempt.id ?? null) : null
  const address = attempt.address ?? null
  let slowFor = 0
  let slowScope: SlowScope | undefined
  for (let i = 0; i < counters.length; i++) {
    const wait = waits[i]!
    if (wait <= 0) continue
    const counter = counters[i]!
    if (counter.effect === 'refuse') {
      ctx.emit({
        type: 'rate_limited',
        scope: counter.scope,
        keyId,
        address,
        retryAfter: wait,
        at: ctx.clock(),
      })
      throw new RateLimitedError('Too many failed attempts; retry later', wait)
    }
    slowFor = Math.min(ctx.slowdownMs, wait * 1000)
    slowScope = counter.scope
  }
  if (slowScope === undefined || slowFor <= 0) return undefined
  ctx.emit({ type: 'rate_slowed', scope: slowScope, keyId, address, delayMs: slowFor, at: ctx.clock() })
  return new Promise((resolve) => setTimeout(resolve, slowFor))
}

/** Reports a refused credential (`auth_failed`) and counts it against every counter of the attempt. */
export async function recordFailure(
  ctx: IssuerContext,
  route: string,
  reason: string,
  keyId: string | null,
  attempt: Attempt,
): Promise<void> {
  ctx.emit({ type: 'auth_failed', route, reason, keyId, address: attempt.address ?? null, at: ctx.clock() })
  const { limiter } = ctx
  if (!limiter) return
  const counters = countersOf(ctx, attempt)
  await Promise.all(counters.map((counter) => limiter.fail(counter.key, counter.scale)))
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
  // The id is only trusted for counting once the checksum held; garbage counts per address.
  const keyId = ctx.apiKeys.parse(credentials.secret)
  const attempt: Attempt = { address: ctx.clientAddress(request), kind: 'key', id: keyId }
  const guarded = guardAttempt(ctx, attempt)
  if (guarded) await guarded
  try {
    if (credentials.clientId !== undefined && credentials.clientId !== keyId) {
      throw new CredentialRejected('client_id_mismatch', keyId ?? null)
    }
    return await ctx.apiKeys.authenticate(credentials.secret, keyId)
  } catch (error) {
    if (error instanceof CredentialRejected)
      await recordFailure(ctx, route, error.reason, error.keyId, attempt)
    throw error
  }
}

/**
 * Checks `Authorization: Bearer <credential>` against the admin credential's hash, in constant
 * time, rate-limited like an API key. Answers whether it matched; throws only `RateLimitedError`.
 */
export async function checkAdminCredential(
  ctx: IssuerContext,
  request: IssuerRequestHead,
  route: string,
  expectedHash: string | undefined,
): Promise<'ok' | 'missing' | 'mismatch'> {
  const header = request.headers.get('authorization')
  const match = header === null ? null : /^bearer\s+(\S+)\s*$/i.exec(header.trim())
  const attempt: Attempt = { address: ctx.clientAddress(request), kind: 'admin' }
  const guarded = guardAttempt(ctx, attempt)
  if (guarded) await guarded
  if (match && expectedHash !== undefined && constantTimeEqual(await sha256(match[1]!), expectedHash))
    return 'ok'
  const reason = match ? 'admin_mismatch' : 'admin_missing'
  await recordFailure(ctx, route, reason, null, attempt)
  return match ? 'mismatch' : 'missing'
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
  const result = await checkAdminCredential(ctx, request, route, ctx.adminTokenHash)
  if (result !== 'ok') throw new InvalidClientError('The admin credential is invalid')
}
