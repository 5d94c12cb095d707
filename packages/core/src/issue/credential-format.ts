import { crc32, randomBase62, uintToBase62 } from './encoding.js'

/**
 * The format of API keys and refresh tokens: `<prefix>_<id>_<secret><checksum>`, all base62 so
 * a double-click selects the whole thing.
 *
 * - `prefix` says what it is (`kg` API key, `kgr` refresh token) — secret scanners can match it.
 * - `id` (16 chars, ~95 bits) is the public lookup key; it is not secret.
 * - `secret` (43 chars, 256 bits from `crypto.getRandomValues`) is what the stored hash protects.
 * - `checksum` (6 chars, CRC-32 of everything before it) rejects typos and garbage before any
 *   store lookup. It is not a MAC: anyone can compute it, so it saves work, it grants nothing.
 */

export const API_KEY_PREFIX = 'kg'
export const REFRESH_TOKEN_PREFIX = 'kgr'
const ID_LENGTH = 16
/** 43 base62 characters carry 256 bits. */
export const SECRET_LENGTH = 43
const CHECKSUM_LENGTH = 6

const PATTERNS = new Map<string, RegExp>()

function checksumOf(body: string): string {
  return uintToBase62(crc32(body), CHECKSUM_LENGTH)
}

/** Builds the credential string from its parts. */
export function formatCredential(prefix: string, id: string, secret: string): string {
  const body = `${prefix}_${id}_${secret}`
  return body + checksumOf(body)
}

/** A fresh id and credential string. */
export function generateCredential(prefix: string): { id: string; credential: string } {
  // One draw for both parts: every character is independent and uniform either way.
  const chars = randomBase62(ID_LENGTH + SECRET_LENGTH)
  const id = chars.slice(0, ID_LENGTH)
  return { id, credential: formatCredential(prefix, id, chars.slice(ID_LENGTH)) }
}

/** A fresh public id in the credential alphabet (refresh-token ids that are derived later). */
export function generateId(): string {
  return randomBase62(ID_LENGTH)
}

/**
 * The id of a well-formed credential with a valid checksum, else `undefined`. Pure string
 * work: a wrong prefix, length, alphabet or checksum never reaches the store.
 */
export function parseCredential(prefix: string, value: string): { id: string } | undefined {
  let pattern = PATTERNS.get(prefix)
  if (!pattern) {
    pattern = new RegExp(
      `^${prefix}_([0-9A-Za-z]{${ID_LENGTH}})_[0-9A-Za-z]{${SECRET_LENGTH}}([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
    )
    PATTERNS.set(prefix, pattern)
  }
  const match = pattern.exec(value)
  if (!match) return undefined
  const body = value.slice(0, value.length - CHECKSUM_LENGTH)
  return checksumOf(body) === match[2] ? { id: match[1]! } : undefined
}
