/**
 * Strict JSON for JOSE headers and claim sets. `JSON.parse` keeps the last of duplicate member
 * names and turns `1e400` into `Infinity`; both let two parties read one token differently,
 * so both are rejected here (RFC 7515 §5.2 step 4 allows rejecting duplicates; RFC 8259 §4).
 */

// Member names in the text: a string literal followed by ':'. Valid JSON only (the text has
// already been parsed), so a string followed by ':' is always a member name.
function countMemberNames(text: string): number {
  let count = 0
  let i = 0
  for (;;) {
    const open = text.indexOf('"', i)
    if (open < 0) return count
    let close = open + 1
    for (;;) {
      close = text.indexOf('"', close)
      if (close < 0) return -1
      let backslashes = 0
      while (text.charCodeAt(close - 1 - backslashes) === 92) backslashes++
      if ((backslashes & 1) === 0) break
      close++
    }
    let j = close + 1
    let c = text.charCodeAt(j)
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++j)
    if (c === 58) count++
    i = j
  }
}

const NOT_FINITE = -1

// Members below one array item or member value: 0 for a primitive (NOT_FINITE for an
// overflowed number); a flat claim set costs no recursion.
function countItem(item: unknown): number {
  if (typeof item === 'number') return Number.isFinite(item) ? 0 : NOT_FINITE
  return typeof item === 'object' && item !== null ? countParsedMembers(item) : 0
}

// Members of every object or array in the parsed value, or NOT_FINITE when a number overflowed.
function countParsedMembers(value: object): number {
  let count = 0
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = countItem(value[i])
      if (inner === NOT_FINITE) return NOT_FINITE
      count += inner
    }
    return count
  }
  const record = value as Record<string, unknown>
  // Own keys only: a polluted Object.prototype must not change the count.
  const names = Object.keys(record)
  for (let i = 0; i < names.length; i++) {
    const inner = countItem(record[names[i]!])
    if (inner === NOT_FINITE) return NOT_FINITE
    count += inner
  }
  return count + names.length
}

/**
 * Parses `text` as a JSON object, or returns `undefined` when it is not valid JSON, not an
 * object, repeats a member name at any depth, or holds a number that is not finite.
 *
 * @example parseJSONObject('{"a":1,"a":2}') // undefined
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 */
export function parseJSONObject(text: string): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const parsed = countParsedMembers(value)
  if (parsed === NOT_FINITE || parsed !== countMemberNames(text)) return undefined
  return value as Record<string, unknown>
}
