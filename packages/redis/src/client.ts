/**
 * The few things Keygate asks of a Redis client, as a structural type that a node-redis v5
 * client (`createClient()` from the `redis` package) satisfies as it is. Everything goes through
 * `sendCommand`, so no part depends on the client's command helpers.
 */
export interface RedisClient {
  /** `true` while connected and ready; commands are not sent otherwise (see `runCommand`). */
  readonly isReady: boolean
  sendCommand(args: readonly string[], options?: { timeout?: number }): Promise<unknown>
  /** A second connection with the same options, for pub/sub (a subscribed connection runs nothing else). */
  duplicate(): RedisSubscriber
}

/** The duplicated connection the revocation list subscribes with. */
export interface RedisSubscriber {
  readonly isReady: boolean
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  on(event: 'ready' | 'end' | 'reconnecting', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  destroy(): void
}

/** Options every part shares. */
export interface RedisPartOptions {
  /** A node-redis v5 client you created (and connect, and close). */
  client: RedisClient
  /** Prefix of every key and channel, so tenants and tests can share one Redis. Default `'keygate:'`. */
  prefix?: string
  /** A command that has not answered after this long counts as a failure. Default 1000 ms. */
  commandTimeout?: number
}

/** Separates Keygate's keys from anything else in a shared Redis. */
export const DEFAULT_PREFIX = 'keygate:'
/** Long enough for a loaded Redis, short enough that a request does not hang on an outage. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000

/** Thrown inside this package when a command cannot be run; callers turn it into a fallback and an event. */
export class RedisUnavailable extends Error {
  override readonly name = 'RedisUnavailable'
}

/** Checks the options shared by every part, once, at construction. */
export function resolvePartOptions(options: RedisPartOptions, part: string) {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${part} needs an options object`)
  const { client } = options
  // ioredis has a `sendCommand` too (taking a Command object) but no boolean `isReady`: without
  // this check it would pass, and every command would then fail as "not ready".
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.sendCommand !== 'function' ||
    typeof client.isReady !== 'boolean' ||
    typeof client.duplicate !== 'function'
  ) {
    throw new TypeError(
      `${part}: client must be a node-redis v5 client (createClient() from 'redis'); ioredis is not supported`,
    )
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string') throw new TypeError(`${part}: prefix must be a string`)
  const timeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new TypeError(`${part}: commandTimeout must be a positive integer (ms)`)
  }
  return { client, prefix, timeout }
}

/**
 * Runs one command, or fails at once when the client is not connected. node-redis would
 * otherwise queue the command until a reconnect, and a request would wait for the outage.
 */
export function runCommand(client: RedisClient, args: readonly string[], timeout: number): Promise<unknown> {
  if (!client.isReady) return Promise.reject(new RedisUnavailable('Redis client is not ready'))
  return client.sendCommand(args, { timeout })
}

/** Calls an `onEvent` hook; a throwing hook must never change what Keygate does. */
export function emitter<E>(onEvent: ((event: E) => void) | undefined): (event: E) => void {
  if (onEvent === undefined) return () => {}
  if (typeof onEvent !== 'function') throw new TypeError('onEvent must be a function')
  return (event) => {
    try {
      onEvent(event)
    } catch {
      // Observability must not break authentication.
    }
  }
}
