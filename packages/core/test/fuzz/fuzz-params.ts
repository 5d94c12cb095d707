/**
 * Run settings shared by every property-based (fast-check) suite of the repository.
 *
 * - `KEYGATE_FUZZ_RUNS=<n>`: runs per property instead of each property's default (the defaults
 *   keep the whole fuzz suite well under a minute on a loaded 2-core machine).
 * - `KEYGATE_FUZZ_SEED=<seed>` and `KEYGATE_FUZZ_PATH=<path>`: replay a failure. fast-check
 *   prints both in the error vitest shows (`{ seed: …, path: "…", endOnFailure: true }`).
 */
import type { Parameters } from 'fast-check'

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** fast-check parameters for one property: `defaultRuns` unless the environment says otherwise. */
export function fuzzParams<T>(defaultRuns: number): Parameters<T> {
  const seed = process.env.KEYGATE_FUZZ_SEED
  const path = process.env.KEYGATE_FUZZ_PATH
  return {
    numRuns: positiveInteger(process.env.KEYGATE_FUZZ_RUNS) ?? defaultRuns,
    ...(seed !== undefined && /^-?\d+$/.test(seed) ? { seed: Number(seed) } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
  }
}

/** Base64url without padding, of bytes or of a UTF-8 string. */
export function b64u(value: Uint8Array | string): string {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value
  return Buffer.from(bytes).toString('base64url')
}

/** The bytes of an unpadded base64url segment. */
export function unb64u(segment: string): Uint8Array {
  return new Uint8Array(Buffer.from(segment, 'base64url'))
}

/**
 * Per-test timeout of the fuzz suites: vitest's default unless `KEYGATE_FUZZ_RUNS` raises the
 * run counts, then an hour (a long run is what was asked for).
 */
export const FUZZ_TIMEOUT_MS =
  positiveInteger(process.env.KEYGATE_FUZZ_RUNS) === undefined ? 30_000 : 3_600_000
