/**
 * Strict JSON for JOSE headers and claim sets. `JSON.parse` keeps the last of duplicate member
 * names and turns `1e400` into `Infinity`; both let two parties read one token differently,
 * so both are rejected here (RFC 7515 §5.2 step 4 allows rejecting duplicates; RFC 8259 §4).
 * Nesting is bounded before parsing and every walk is iterative: with a raised `maxTokenBytes`
 * a payload of a million nested brackets must cost one linear pass, not a stack overflow.
 */

import { scanJSON } from '../json-scan.js'

/** Deepest nesting accepted in a header or claim set: real claims nest a few levels at most. */
export const MAX_JOSE_DEPTH = 32

const NOT_FINITE = -1

// One object for every call (this runs twice per verification). The text is already bounded by
// the token size limit, so values need no separate bound.
const JOSE_BOUNDS = { maxDepth: MAX_JOSE_DEPTH, maxValues: Number.POSITIVE_INFINITY } as const

// Members of every object in the parsed value, or NOT_FINITE when a number overflowed. An
// explicit stack, never recursion: the depth is bounded by the scan, but a walk over
// attacker-controlled structure should not rely on the call stack at all.
function countParsedMembers(root: object): number {
  let count = 0
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return NOT_FINITE
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push(value[i])
    } else if (typeof value === 'object' && value !== null) {
      // Own keys only: a polluted Object.prototype must not change the count.
      const record = value as Record<string, unknown>
      const names = Object.keys(record)
      count += names.length
      for (let i = 0; i < names.length; i++) stack.push(record[names[i]!])
    }
  }
  return count
}

/**
 * Parses `text` as a JSON object, or returns `undefined` when it is not valid JSON, not an
 * object, nests deeper than `MAX_JOSE_DEPTH`, repeats a member name at any depth, or holds a
 * number that is not finite.
 *
 * @example parseJSONObject('{"a":1,"a":2}') // undefined
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 */
export function parseJSONObject(text: string): Record<string, unknown> | undefined {
  const scan = scanJSON(text, JOSE_BOUNDS)
  if (!scan.ok) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const parsed = countParsedMembers(value)
  if (parsed === NOT_FINITE || parsed !== scan.members) return undefined
  return value as Record<string, unknown>
}
