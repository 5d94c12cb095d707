import { ConfigurationError } from './errors.js'
import type { Duration } from './types.js'

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d|w)$/

/**
 * Converts a duration option to milliseconds, at construction time: a bad value is a
 * `ConfigurationError` there, never a surprise per request.
 *
 * @example toMs('10m') // 600000
 */
export function toMs(value: Duration, option = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigurationError(`${option} must be a non-negative finite number of milliseconds`)
    }
    return value
  }
  const match = PATTERN.exec(value.trim())
  if (!match)
    throw new ConfigurationError(`${option} must be a number of ms or a string like '30s', '10m', '1d'`)
  return Number(match[1]) * UNITS[match[2]!]!
}
