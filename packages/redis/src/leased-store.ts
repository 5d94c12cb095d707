import { type RedisClient, runCommand } from './client.js'
import type { RedisEvent, RedisPart } from './events.js'

/** JSON values under a prefix, with a lease per key: what the JWKS store and the token store share. */
export interface LeasedStore<T> {
  get(key: string): Promise<T | undefined>
  set(key: string, value: T, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  acquire(key: string, ttlMs: number): Promise<boolean>
  release(key: string): Promise<void>
}

/** The lease ends only if it is still ours: a holder whose lease expired must not end the next one. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

interface LeasedStoreSettings<T> {
  part: RedisPart
  client: RedisClient
  /** Where values live, and where their leases live (apart, so a lease never reads as a value). */
  valuePrefix: string
  leasePrefix: string
  timeout: number
  emit: (event: RedisEvent) => void
  /** Rejects what is not a value of this store (a foreign or corrupt entry reads as missing). */
  isValue: (value: unknown) => value is T
  /** What a failed `acquire` answers: the caller proceeds on its own rather than wait for nobody. */
  acquireFallback: boolean
}

/**
 * Values as JSON strings with a Redis TTL (`SET … PX`), so a reader never shares an object with
 * a writer; leases with `SET NX PX` and a compare-and-delete release. A Redis failure never
 * throws: it is reported and answered with the fallback a cache needs (miss, not stored, go
 * ahead without the lease).
 */
export function createLeasedStore<T>(settings: LeasedStoreSettings<T>): LeasedStore<T> {
  const { part, client, valuePrefix, leasePrefix, timeout, emit, isValue } = settings
  // The token of every lease this store holds, for its compare-and-delete release.
  const held = new Map<string, string>()

  function failed(operation: string, fallback: string, error: unknown): void {
    emit({ type: 'command_failed', part, operation, fallback, error })
  }

  return {
    async get(key) {
      let raw: unknown
      try {
        raw = await runCommand(client, ['GET', valuePrefix + key], timeout)
      } catch (error) {
        failed('get', 'miss', error)
        return undefined
      }
      if (typeof raw !== 'string') return undefined
      try {
        const value: unknown = JSON.parse(raw)
        return isValue(value) ? value : undefined
      } catch {
        return undefined
      }
    },
    async set(key, value, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs))
      try {
        await runCommand(
          client,
          ['SET', valuePrefix + key, JSON.stringify(value), 'PX', String(ttl)],
          timeout,
        )
      } catch (error) {
        failed('set', 'not_stored', error)
      }
    },
    async delete(key) {
      try {
        await runCommand(client, ['DEL', valuePrefix + key], timeout)
      } catch (error) {
        failed('delete', 'not_deleted', error)
      }
    },
    async acquire(key, ttlMs) {
      const token = crypto.randomUUID()
      const ttl = Math.max(1, Math.ceil(ttlMs))
      try {
        const reply = await runCommand(
          client,
          ['SET', leasePrefix + key, token, 'NX', 'PX', String(ttl)],
          timeout,
        )
        if (reply !== 'OK') return false
        held.set(key, token)
        return true
      } catch (error) {
        failed('acquire', settings.acquireFallback ? 'proceed_without_lease' : 'not_acquired', error)
        return settings.acquireFallback
      }
    },
    async release(key) {
      const token = held.get(key)
      if (token === undefined) return
      held.delete(key)
      try {
        await runCommand(client, ['EVAL', RELEASE_SCRIPT, '1', leasePrefix + key, token], timeout)
      } catch (error) {
        // The lease then ends with its TTL.
        failed('release', 'lease_expires', error)
      }
    },
  }
}
