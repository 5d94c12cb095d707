import {
  type Duration,
  type RevocationCheck,
  type RevocationSource,
  StoreUnavailableError,
  toMs,
} from '@keygate/core'
import {
  emitter,
  type RedisPartOptions,
  type RedisSubscriber,
  resolvePartOptions,
  runCommand,
} from './client.js'
import type { RedisEvent, RevocationKind } from './events.js'

/** Options of `createRedisRevocationList`. */
export interface RedisRevocationListOptions extends RedisPartOptions {
  /** Claim naming a token's refresh-token family (session). Default `'sid'` (OIDC session id). */
  familyClaim?: string
  /** Claim naming the API key (client) a token was issued to. Default `'client_id'` (RFC 9068 §2.2). */
  clientClaim?: string
  /** How long `createRedisRevocationList` waits to subscribe and load before it rejects. Default 5000 ms. */
  startTimeout?: number
  /** Clock (ms since epoch) for entry lifetimes. Default `Date.now`. */
  clock?: () => number
  onEvent?: (event: RedisEvent) => void
}

/** What to revoke, and until when. */
export type Revocation = {
  /**
   * `jti`: one token. `family`: every token of a refresh-token family (session), `client`: of an
   * API key, `subject`: of a subject — each of those only when issued (`iat`) up to now, so a
   * new login or a new key works at once.
   */
  kind: RevocationKind
  value: string
} & (
  | {
      /** When the entry can go (ms since epoch): the `exp` of what it revokes. */
      expiresAt: number
      ttl?: never
    }
  | {
      /** …or how long from now: at least the lifetime of the tokens it revokes. */
      ttl: Duration
      expiresAt?: never
    }
)

/** A revocation list shared through Redis, answered from a local copy. */
export interface RedisRevocationList extends RevocationSource {
  /** Synchronous lookup in the local copy: no Redis round trip, unchanged by an outage. */
  isRevoked(token: RevocationCheck): boolean
  /**
   * Goes up whenever the local copy gains an entry (a revocation here or from pub/sub, a reload):
   * the verifier re-checks a cached token only then, so a token-cache hit costs no lookup.
   */
  readonly version: number
  /**
   * Adds an entry in Redis and publishes it (every list on that Redis and prefix has it within
   * moments); this process's copy has it at once. Rejects with `StoreUnavailableError` (503)
   * when Redis cannot be reached: the revocation did not happen.
   */
  revoke(revocation: Revocation): Promise<void>
  /** Entries in the local copy (expired ones may linger until the next lookup or resync). */
  readonly size: number
  /** Unsubscribes and closes the subscription connection. The client you passed stays open. */
  close(): Promise<void>
}

const DEFAULT_START_TIMEOUT_MS = 5000
// Resync retries after a reconnect: quick at first, then no more often than every few seconds.
const RESYNC_FIRST_RETRY_MS = 100
const RESYNC_MAX_RETRY_MS = 5000
// Expired entries removed per revoke, so cleanup stays a bounded amount of work per command.
const CLEANUP_BATCH = 500
const KINDS: readonly RevocationKind[] = ['jti', 'family', 'client', 'subject']

/**
 * Adds (or widens) an entry, drops a batch of expired ones, and publishes the merged entry.
 * KEYS: entries hash, expiry zset. ARGV: field, expiresAt, revokedAt, now, channel, batch.
 * Re-revoking never shortens an entry nor narrows the tokens it covers.
 */
const REVOKE_SCRIPT = `
local now = tonumber(ARGV[4])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
for _, field in ipairs(gone) do
  redis.call('HDEL', KEYS[1], field)
  redis.call('ZREM', KEYS[2], field)
end
local e = tonumber(ARGV[2])
local r = tonumber(ARGV[3])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local oe, orv = string.match(old, '^(%d+):(%d+)$')
  if oe then
    e = math.max(e, tonumber(oe))
    r = math.max(r, tonumber(orv))
  end
end
local value = string.format('%d:%d', e, r)
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('ZADD', KEYS[2], e, ARGV[1])
redis.call('PUBLISH', ARGV[5], value .. '\\n' .. ARGV[1])
return value
`

interface Entry {
  expiresAt: number
  revokedAt: number
}

/** `${expiresAt}:${revokedAt}` as stored and published. */
function parseEntry(value: unknown): Entry | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(\d+):(\d+)$/.exec(value)
  if (match === null) return undefined
  return { expiresAt: Number(match[1]), revokedAt: Number(match[2]) }
}

/** `kind:value`, split at the first colon (values may contain colons). */
function parseField(field: string): { kind: RevocationKind; value: string } | undefined {
  const colon = field.indexOf(':')
  const kind = field.slice(0, colon) as RevocationKind
  if (colon < 0 || !KINDS.includes(kind)) return undefined
  return { kind, value: field.slice(colon + 1) }
}

type Tables = Record<RevocationKind, Map<string, Entry>>

const emptyTables = (): Tables => ({
  jti: new Map(),
  family: new Map(),
  client: new Map(),
  subject: new Map(),
})

/**
 * A revocation list in Redis for `createAuth({ revocation })`: deny by `jti`, refresh-token
 * family, API key (`client_id`) or subject, each entry expiring with what it revokes. Every
 * process keeps a local copy, loaded at start and kept current through pub/sub (a revocation
 * reaches every verifier within moments), and reloaded in full after each reconnect, so the
 * verifier's check is a `Map` lookup: no Redis round trip per request, and a Redis outage
 * changes nothing but how new revocations arrive. Resolves once subscribed and loaded; rejects
 * with `StoreUnavailableError` when that cannot be done within `startTimeout`.
 *
 * @example
 * import { createClient } from 'redis'
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const revocation = await createRedisRevocationList({ client })
 * const auth = createAuth({ issuer, audience, revocation })
 * await revocation.revoke({ kind: 'subject', value: 'user-42', ttl: '1h' })
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export async function createRedisRevocationList(
  options: RedisRevocationListOptions,
): Promise<RedisRevocationList> {
  const { client, prefix, timeout } = resolvePartOptions(options, 'createRedisRevocationList')
  const familyClaim = options.familyClaim ?? 'sid'
  const clientClaim = options.clientClaim ?? 'client_id'
  if (typeof familyClaim !== 'string' || typeof clientClaim !== 'string') {
    throw new TypeError('createRedisRevocationList: familyClaim and clientClaim must be strings')
  }
  const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT_MS
  if (!Number.isInteger(startTimeout) || startTimeout <= 0) {
    throw new TypeError('createRedisRevocationList: startTimeout must be a positive integer (ms)')
  }
  const clock = options.clock ?? Date.now
  if (typeof clock !== 'function') throw new TypeError('createRedisRevocationList: clock must be a function')
  const emit = emitter(options.onEvent)
  const hashKey = `${prefix}revoked`
  const expiryKey = `${prefix}revoked:expiry`
  const channel = `${prefix}revoked`

  let tables = emptyTables()
  // While a full load runs, messages go to the current tables and here, to be replayed on the new ones.
  let pending: [string, Entry][] | undefined
  let closed = false
  let connected = false
  let resyncTimer: ReturnType<typeof setTimeout> | undefined
  let resyncRunning = false
  // The object handed out, once built; its `version` is a plain property so a read is one load.
  let self: { version: number } | undefined
  const changed = () => {
    if (self !== undefined) self.version++
  }

  function put(target: Tables, field: string, entry: Entry): RevocationKind | undefined {
    const parsed = parseField(field)
    if (parsed === undefined) return undefined
    const table = target[parsed.kind]
    const old = table.get(parsed.value)
    table.set(
      parsed.value,
      old === undefined
        ? entry
        : {
            expiresAt: Math.max(old.expiresAt, entry.expiresAt),
            revokedAt: Math.max(old.revokedAt, entry.revokedAt),
          },
    )
    return parsed.kind
  }

  function onMessage(message: string): void {
    const newline = message.indexOf('\n')
    const entry = parseEntry(newline < 0 ? undefined : message.slice(0, newline))
    const field = message.slice(newline + 1)
    const kind = entry === undefined ? undefined : put(tables, field, entry)
    if (entry === undefined || kind === undefined) {
      emit({ type: 'revocation_message_invalid' })
      return
    }
    pending?.push([field, entry])
    changed()
    emit({ type: 'revocation_received', kind })
  }

  async function load(reason: 'start' | 'reconnect'): Promise<void> {
    pending = []
    try {
      const reply = await runCommand(client, ['HGETALL', hashKey], timeout)
      const next = emptyTables()
      let entries = 0
      const now = clock()
      // RESP2 gives [field, value, …]; RESP3 a map (an object or a Map, by type mapping).
      const pairs: [unknown, unknown][] = Array.isArray(reply)
        ? Array.from({ length: reply.length / 2 }, (_, i) => [reply[2 * i], reply[2 * i + 1]])
        : reply instanceof Map
          ? [...reply.entries()]
          : Object.entries((reply ?? {}) as Record<string, unknown>)
      for (const [field, value] of pairs) {
        const entry = parseEntry(typeof value === 'string' ? value : String(value))
        if (entry === undefined || entry.expiresAt <= now) continue
        if (put(next, String(field), entry) !== undefined) entries++
      }
      for (const [field, entry] of pending) put(next, field, entry)
      tables = next
      changed()
      emit({ type: 'revocation_synced', reason, entries })
    } finally {
      pending = undefined
    }
  }

  // After a reconnect: reload until it works (the main client may still be reconnecting).
  function resync(delay = 0): void {
    if (closed || resyncRunning) return
    clearTimeout(resyncTimer)
    resyncTimer = setTimeout(async () => {
      resyncTimer = undefined
      resyncRunning = true
      try {
        await load('reconnect')
      } catch (error) {
        emit({ type: 'command_failed', part: 'revocation', operation: 'resync', fallback: 'retry', error })
        resyncRunning = false
        resync(Math.min(RESYNC_MAX_RETRY_MS, Math.max(RESYNC_FIRST_RETRY_MS, delay * 2)))
        return
      }
      resyncRunning = false
    }, delay)
    // A pending retry must not keep a process alive that is otherwise done.
    ;(resyncTimer as { unref?: () => void }).unref?.()
  }

  const subscriber: RedisSubscriber = client.duplicate()
  let started = false
  subscriber.on('error', (error) => {
    emit({ type: 'subscriber_error', error })
    disconnected()
  })
  subscriber.on('reconnecting', disconnected)
  subscriber.on('end', disconnected)
  subscriber.on('ready', () => {
    connected = true
    // Whatever was published while the connection was down is in Redis: load it all again.
    if (started) resync()
  })
  function disconnected(): void {
    if (!connected) return
    connected = false
    if (!closed) emit({ type: 'revocation_disconnected' })
  }

  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      (async () => {
        await subscriber.connect()
        await subscriber.subscribe(channel, onMessage)
        await load('start')
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new StoreUnavailableError('The revocation list could not be loaded from Redis', 5)),
          startTimeout,
        )
      }),
    ])
  } catch (error) {
    closed = true
    subscriber.destroy()
    if (error instanceof StoreUnavailableError) throw error
    throw new StoreUnavailableError('The revocation list could not be loaded from Redis', 5, { cause: error })
  } finally {
    clearTimeout(timer)
  }
  started = true

  // On the hot path: a few Map lookups, nothing allocated, the clock read only on a match.
  function revokedIn(table: Map<string, Entry>, value: unknown, iatMs: number | undefined): boolean {
    if (table.size === 0 || typeof value !== 'string') return false
    const entry = table.get(value)
    if (entry === undefined) return false
    if (entry.expiresAt <= clock()) {
      table.delete(value)
      return false
    }
    // Tokens issued after the revocation are not covered (a new session, a new key); a token
    // without `iat` cannot show it was, so it is.
    return iatMs === undefined || iatMs <= entry.revokedAt
  }

  const list: RedisRevocationList & { version: number } = {
    version: 0,
    isRevoked({ claims }) {
      const t = tables
      if (revokedIn(t.jti, claims.jti, undefined)) return true
      const iat = typeof claims.iat === 'number' ? claims.iat * 1000 : undefined
      return (
        revokedIn(t.subject, claims.sub, iat) ||
        revokedIn(t.client, claims[clientClaim], iat) ||
        revokedIn(t.family, claims[familyClaim], iat)
      )
    },
    async revoke(revocation) {
      const { kind, value } = revocation ?? {}
      if (!KINDS.includes(kind)) throw new TypeError(`revoke: kind must be one of ${KINDS.join(', ')}`)
      if (typeof value !== 'string' || value === '')
        throw new TypeError('revoke: value must be a non-empty string')
      const now = clock()
      const expiresAt =
        revocation.expiresAt !== undefined
          ? revocation.expiresAt
          : now + toMs(revocation.ttl as Duration, 'ttl')
      if (!Number.isFinite(expiresAt)) throw new TypeError('revoke: expiresAt or ttl is required')
      if (expiresAt <= now) return // what it would revoke has expired already
      const field = `${kind}:${value}`
      let reply: unknown
      try {
        reply = await runCommand(
          client,
          [
            'EVAL',
            REVOKE_SCRIPT,
            '2',
            hashKey,
            expiryKey,
            field,
            String(Math.ceil(expiresAt)),
            String(Math.floor(now)),
            String(Math.floor(now)),
            channel,
            String(CLEANUP_BATCH),
          ],
          timeout,
        )
      } catch (error) {
        emit({
          type: 'command_failed',
          part: 'revocation',
          operation: 'revoke',
          fallback: 'not_revoked',
          error,
        })
        throw new StoreUnavailableError('The revocation could not be stored in Redis', 5, { cause: error })
      }
      const entry = parseEntry(reply)
      if (entry !== undefined) {
        put(tables, field, entry)
        changed()
      }
    },
    get size() {
      const t = tables
      return t.jti.size + t.family.size + t.client.size + t.subject.size
    },
    async close() {
      if (closed) return
      closed = true
      clearTimeout(resyncTimer)
      subscriber.destroy()
    },
  }
  self = list
  return list
}
