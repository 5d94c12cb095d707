import { describe, expect, it } from 'vitest'
import { freshnessFromCacheControl } from './cache-control.js'

const bounds = { defaultMs: 600_000, minMs: 60_000, maxMs: 86_400_000 }

describe('freshnessFromCacheControl', () => {
  const cases: Array<[string | null, number]> = [
    [null, 600_000],
    ['', 600_000],
    ['public', 600_000],
    ['max-age=300', 300_000],
    ['public, MAX-AGE=120, must-revalidate', 120_000],
    ['max-age="240"', 240_000],
    ['max-age=0', 60_000],
    ['max-age=10', 60_000],
    ['max-age=999999999', 86_400_000],
    ['max-age=abc', 600_000],
    ['max-age=-5', 600_000],
    ['no-cache', 60_000],
    ['max-age=3600, no-store', 60_000],
  ]
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected} ms`, () => {
      expect(freshnessFromCacheControl(header, bounds)).toBe(expected)
    })
  }
})
