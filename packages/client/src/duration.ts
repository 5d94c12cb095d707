import { ClientConfigurationError } from './errors.js'

/** Milliseconds, or a string like `'30s'`, `'10m'`, `'1h'` (the same forms as `@keygate/core`). */
export type Duration = number | string

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
 * Converts a duration option to milliseconds at construction time, so a bad value is a
 * `ClientConfigurationError` from `createClient`, never a surprise per request.
 */
export function toMs(value: Duration, option: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ClientConfigurationError(`${option} must be a non-negative finite number of milliseconds`)
    }
    return value
  }
  const match = typeof value === 'string' ? PATTERN.exec(value.trim()) : null
  if (!match) {
    throw new ClientConfigurationError(`${option} must be a number of ms or a string like '30s', '10m', '1h'`)
  }
  return Number(match[1]) * UNITS[match[2]!]!
}
