import { createClient } from 'redis'
import { describe } from 'vitest'

/** The Redis the tests talk to; without it they skip, saying why. */
export const REDIS_URL = process.env.REDIS_URL

if (!REDIS_URL) {
  console.warn(
    '@keygate/redis tests skipped: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run them against a real Redis',
  )
}

/** `describe` when `REDIS_URL` is set, `describe.skip` otherwise. */
export const describeRedis: typeof describe = REDIS_URL ? describe : (describe.skip as typeof describe)

/** A key prefix of its own per test file (and run): test files and helpers share one Redis. */
export function uniquePrefix(name: string): string {
  return `keygate-test:${name}:${process.pid}-${Math.random().toString(36).slice(2, 10)}:`
}

export type TestRedisClient = ReturnType<typeof createClient>

/** A connected node-redis client (to `url`, default `REDIS_URL`) with an error listener, as users must add. */
export async function connect(
  url = REDIS_URL!,
  options: Parameters<typeof createClient>[0] = {},
): Promise<TestRedisClient> {
  const client = createClient({ url, ...options })
  client.on('error', () => {}) // reported through the parts' events; node-redis reconnects by itself
  await client.connect()
  return client
}

/** Deletes every key under `prefix`. */
export async function dropPrefix(client: TestRedisClient, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys)
  }
}

/** Polls `condition` every few ms until it holds or `timeoutMs` passes; resolves whether it held. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
