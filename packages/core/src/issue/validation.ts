import { InvalidRequestError } from '../errors.js'

/**
 * Input checks for values that end up in tokens and in the store: a bad value is an
 * `InvalidRequestError` (400) at the door, never a malformed token later.
 */

// RFC 6749 §3.3: scope-token = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/
// Printable text without control characters, for subjects, names and audiences.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const TEXT = /^[^\x00-\x1F\x7F]+$/
/** Bound on list sizes so that a token stays well below common header limits (8 KiB). */
const MAX_LIST = 256
const MAX_TEXT = 512

export function checkText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT || !TEXT.test(value)) {
    throw new InvalidRequestError(
      `${field} must be a non-empty string of at most ${MAX_TEXT} printable characters`,
    )
  }
  return value
}

/** A list of scope tokens (permissions, groups), de-duplicated in order. */
export function checkScopeList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.length > MAX_LIST) {
    throw new InvalidRequestError(`${field} must be an array of at most ${MAX_LIST} strings`)
  }
  for (const item of value) {
    if (typeof item !== 'string' || item.length > MAX_TEXT || !SCOPE_TOKEN.test(item)) {
      throw new InvalidRequestError(
        `${field} entries must be scope tokens (no spaces, quotes or backslashes)`,
      )
    }
  }
  return [...new Set(value as string[])]
}

/** An audience: one string or a non-empty list. */
export function checkAudience(value: unknown, field = 'audience'): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_LIST) {
    throw new InvalidRequestError(`${field} must be a string or a non-empty array of strings`)
  }
  return [...new Set(list.map((item) => checkText(item, field)))]
}

/** A JSON object (not null, not an array). */
export function checkObject(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidRequestError(`${field} must be an object`)
  return value as Record<string, unknown>
}

/** Splits an RFC 6749 §3.3 `scope` parameter into its tokens. */
export function parseScope(value: string): string[] {
  const tokens = value.split(' ').filter((t) => t !== '')
  for (const t of tokens) if (!SCOPE_TOKEN.test(t)) throw new InvalidRequestError('scope is malformed')
  return [...new Set(tokens)]
}
