import { type Duration, StoreUnavailableError, toMs } from '@keygate/core'
import type { RateLimiter } from '@keygate/core/issue'
import { emitter, type RedisPartOptions, resolvePartOptions, runCommand } from './client.js'
import type { RedisEvent } from './events.js'

/** Options of `createRedisRateLimiter`. */
export interface RedisRateLimiterOptions extends RedisPartOptions {
  /** Failures allowed per key within any window (times the `scale` the issuer asks with: `rateLimit.addressScale` for an address). */
  maxFailures: number
  /** Length of the sliding window (ms or `'15m'`). */
  window: Duration
  /**
   * What an attempt gets while Redis cannot be asked: `false` (default) refuses it with a 503
   * `StoreUnavailableError` — a limiter nobody can consult must not let a password-guesser through;
   * `true` lets it through. Either way an event says so.
   */
  failOpen?: boolean
  /** `Retry-After` (seconds) of the 503 while Redis is unavailable. Default 5. */
  unavailableRetryAfter?: number
  /** Clock (ms since epoch) for the window. Default: the Redis server's `TIME`, one clock for every process. */
  clock?: () => number
  onEvent?: (event: RedisEvent) => void
}

/** Long enough for a reconnect to finish, short enough not to hold clients off long after. */
const DEFAULT_UNAVAILABLE_RETRY_AFTER_S = 5

/**
 * A sliding-window log per key in a sorted set, in one atomic script: drop what left the window,
 * record the failure (`fail` only), keep at most `max` newest entries (older ones cannot change
 * the answer), and answer the milliseconds until fewer than `max` failures remain in the window.
 * ARGV: now (empty for the server's TIME), window ms, max, op, a unique member suffix.
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if ARGV[4] == 'fail' then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[5])
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(max + 1))
  redis.call('PEXPIRE', KEYS[1], window)
end
local count = redis.call('ZCARD', KEYS[1])
if count < max then return 0 end
local oldest = redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`

/**
 * A `RateLimiter` for the issuer in Redis, so every process enforces one limit per key (an API
 * key id, a client address, or whatever composite key the issuer asks about): a sliding window
 * of failures, checked and recorded atomically by a Lua script. While Redis is unavailable it
 * fails closed (503 with `Retry-After`) unless `failOpen`, and reports a `limiter_unavailable`
 * event either way.
 *
 * @example
 * import { createClient } from 'redis'
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const issuer = await createIssuer({
 *   issuer: 'https://auth.example.com',
 *   rateLimit: { limiter: createRedisRateLimiter({ client, maxFailures: 10, window: '15m' }) },
 * })
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { client, prefix, timeout } = resolvePartOptions(options, 'createRedisRateLimiter')
  const { maxFailures, failOpen = false, clock } = options
  if (!Number.isInteger(maxFailures) || maxFailures <= 0) {
    throw new TypeError('createRedisRateLimiter: maxFailures must be a positive integer')
  }
  const windowMs = toMs(options.window, 'window')
  if (!(windowMs > 0)) throw new TypeError('createRedisRateLimiter: window must be positive')
  if (typeof failOpen !== 'boolean') throw new TypeError('createRedisRateLimiter: failOpen must be a boolean')
  if (clock !== undefined && typeof clock !== 'function') {
    throw new TypeError('createRedisRateLimiter: clock must be a function')
  }
  const retryAfter = options.unavailableRetryAfter ?? DEFAULT_UNAVAILABLE_RETRY_AFTER_S
  if (!Number.isInteger(retryAfter) || retryAfter <= 0) {
    throw new TypeError('createRedisRateLimiter: unavailableRetryAfter must be a positive integer (seconds)')
  }
  const emit = emitter(options.onEvent)
  const keyPrefix = `${prefix}rate:`
  const window = String(Math.ceil(windowMs))

  async function run(operation: 'check' | 'fail', key: string, scale = 1): Promise<number> {
    // The issuer gives a client address a multiple of the budget (`rateLimit.addressScale`).
    const max = String(maxFailures * (Number.isInteger(scale) && scale > 1 ? scale : 1))
    const now = clock === undefined ? '' : String(Math.floor(clock()))
    const member = operation === 'fail' ? crypto.randomUUID() : ''
    let waitMs: unknown
    try {
      waitMs = await runCommand(
        client,
        ['EVAL', SCRIPT, '1', keyPrefix + key, now, window, max, operation, member],
        timeout,
      )
    } catch (error) {
      emit({ type: 'limiter_unavailable', operation, failOpen })
      emit({
        type: 'command_failed',
        part: 'rate-limiter',
        operation,
        fallback: failOpen ? 'allow' : 'refuse',
        error,
      })
      if (failOpen) return 0
      throw new StoreUnavailableError('The rate limiter cannot be consulted; retry later', retryAfter, {
        cause: error,
      })
    }
    return typeof waitMs === 'number' && waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0
  }

  return {
    check: (key, scale) => run('check', key, scale),
    fail: (key, scale) => run('fail', key, scale),
  }
}
