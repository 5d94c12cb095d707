import type { JWTClaims } from '../types.js'

/**
 * Reads a claim by exact name or by a path of nested object members. Only own members are
 * followed, so a crafted claim named `__proto__` or `constructor` reads nothing.
 */
export function readClaim(claims: JWTClaims, path: readonly string[]): unknown {
  let value: unknown = claims
  for (const segment of path) {
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.hasOwn(value, segment)
    ) {
      return undefined
    }
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

/**
 * A claim value as a list of strings: an array keeps its string entries (others are dropped),
 * a string is one value (or several, split on `delimiter`), anything else — missing, a number,
 * an object where a list was expected — is the empty list. A wrong type is the issuer's shape,
 * not an outage, so it never fails the request; requirements then decide.
 */
export function toStringList(value: unknown, delimiter?: string): string[] {
  if (typeof value === 'string') {
    if (delimiter === undefined) return value === '' ? [] : [value]
    // An empty delimiter splits into characters, as String#split does.
    if (delimiter === '') return value.split('')
    return split(value, delimiter)
  }
  const list: string[] = []
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const entry: unknown = value[i]
      if (typeof entry === 'string') list.push(entry)
    }
  }
  return list
}

// `value.split(delimiter).filter((part) => part !== '')` in one pass and one array: scopes are
// split on every verification.
function split(value: string, delimiter: string): string[] {
  const parts: string[] = []
  let start = 0
  for (;;) {
    const end = value.indexOf(delimiter, start)
    const stop = end < 0 ? value.length : end
    if (stop > start) parts.push(value.slice(start, stop))
    if (end < 0) return parts
    start = end + delimiter.length
  }
}
