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
    return value.split(delimiter).filter((part) => part !== '')
  }
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string')
  return []
}
