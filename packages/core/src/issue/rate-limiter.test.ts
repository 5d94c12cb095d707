import { describe, expect, it } from 'vitest'
import { createMemoryRateLimiter } from './rate-limiter.js'

describe('createMemoryRateLimiter', () => {
  it('allows maxFailures per window, then answers the seconds left; a new window starts fresh', async () => {
    let now = 0
    const limiter = createMemoryRateLimiter({ maxFailures: 3, windowMs: 60_000, clock: () => now })
    expect(await limiter.fail('a')).toBe(0)
    expect(await limiter.fail('a')).toBe(0)
    expect(await limiter.check('a')).toBe(0)
    expect(await limiter.fail('a')).toBe(60)
    now = 15_000
    expect(await limiter.check('a')).toBe(45)
    expect(await limiter.check('b')).toBe(0)
    now = 60_000
    expect(await limiter.check('a')).toBe(0)
  })

  it('multiplies the budget of a key by the scale it is asked with', async () => {
    const limiter = createMemoryRateLimiter({ maxFailures: 2, windowMs: 60_000, clock: () => 0 })
    for (let i = 0; i < 5; i++) expect(await limiter.fail('address:a', 3)).toBe(0)
    expect(await limiter.check('address:a', 3)).toBe(0)
    expect(await limiter.fail('address:a', 3)).toBe(60)
    expect(await limiter.check('address:a', 3)).toBe(60)
    expect(await limiter.check('address:a')).toBe(60)
  })

  it('bounds memory by dropping the oldest window', async () => {
    const limiter = createMemoryRateLimiter({ maxFailures: 1, windowMs: 60_000, clock: () => 0, maxKeys: 2 })
    await limiter.fail('a')
    await limiter.fail('b')
    await limiter.fail('c')
    expect(await limiter.check('a')).toBe(0)
    expect(await limiter.check('b')).toBeGreaterThan(0)
    expect(await limiter.check('c')).toBeGreaterThan(0)
  })
})
