import { nodeBuffer, nodeCrypto } from './node-crypto.js'

/**
 * Byte and string helpers shared by the issuer: base64url (RFC 4648 §5), base62 for
 * copy-paste-friendly secrets, CRC32 checksums, SHA-256 and constant-time comparison.
 * Node gets `Buffer`/`node:crypto`; other runtimes the Web equivalents.
 */

const encoder = new TextEncoder()

export function utf8(value: string): Uint8Array<ArrayBuffer> {
  // Node's Buffer encodes several times faster than TextEncoder (every signing input passes here).
  return (nodeBuffer ? nodeBuffer.from(value) : encoder.encode(value)) as Uint8Array<ArrayBuffer>
}

/** The bytes of an ASCII string (base64url segments, a JWS signing input): no UTF-8 pass needed. */
export function ascii(value: string): Uint8Array<ArrayBuffer> {
  return (nodeBuffer ? nodeBuffer.from(value, 'latin1') : encoder.encode(value)) as Uint8Array<ArrayBuffer>
}

export function base64urlEncode(input: Uint8Array | string): string {
  if (nodeBuffer) {
    // A view on the same memory: `Buffer.from(uint8Array)` would copy it first.
    const buffer =
      typeof input === 'string'
        ? nodeBuffer.from(input)
        : nodeBuffer.from(input.buffer, input.byteOffset, input.byteLength)
    return buffer.toString('base64url')
  }
  const bytes = typeof input === 'string' ? utf8(input) : input
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

/** Decodes base64url; throws `TypeError` for anything else (callers map it to their error). */
export function base64urlDecode(input: string): Uint8Array {
  if (!BASE64URL.test(input) || input.length % 4 === 1) throw new TypeError('not base64url')
  const base64 = input.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE62_CODES = Uint8Array.from(BASE62_ALPHABET, (c) => c.charCodeAt(0))

/**
 * Maps bytes to base62 by rejection sampling (bytes ≥ 248 are skipped) so every character is
 * uniform: `n` characters carry n·log2(62) ≈ 5.95·n bits. Returns fewer than `length`
 * characters only when the input runs out; callers supply enough bytes.
 */
export function bytesToBase62(bytes: Uint8Array, length: number): string {
  let out = ''
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const b = bytes[i]!
    if (b < 248) out += BASE62_ALPHABET[b % 62]
  }
  return out
}

/** Random bytes are drawn this many at a time: one `getRandomValues` call serves dozens of credentials. */
const RANDOM_POOL_BYTES = 4096
let pool = new Uint8Array(0)
let poolOffset = 0

/**
 * `n` bytes from `crypto.getRandomValues`, served from a pool that is refilled in bulk (each
 * byte is handed out once). Node's own `randomUUID` pools the same way: the per-call cost of
 * the system CSPRNG, not its output, is what the pool saves.
 */
export function randomBytes(n: number): Uint8Array {
  if (n > RANDOM_POOL_BYTES) return crypto.getRandomValues(new Uint8Array(n))
  if (poolOffset + n > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(RANDOM_POOL_BYTES))
    poolOffset = 0
  }
  const out = pool.subarray(poolOffset, poolOffset + n)
  poolOffset += n
  return out
}

/** `length` uniformly random base62 characters from `crypto.getRandomValues` (as `bytesToBase62` maps them). */
export function randomBase62(length: number): string {
  const codes = new Uint8Array(length)
  let n = 0
  while (n < length) {
    const missing = length - n
    // ~6% + 4 bytes of headroom covers the ~3% rejected bytes in one draw almost always.
    const bytes = randomBytes(missing + (missing >> 4) + 4)
    for (let i = 0; i < bytes.length && n < length; i++) {
      const b = bytes[i]!
      if (b < 248) codes[n++] = BASE62_CODES[b % 62]!
    }
  }
  // One string from the character codes, rather than one per character appended.
  return String.fromCharCode.apply(null, codes as unknown as number[])
}

/** Fixed-width base62 of a non-negative integer. */
export function uintToBase62(value: number, width: number): string {
  let out = ''
  let rest = value
  for (let i = 0; i < width; i++) {
    out = BASE62_ALPHABET[rest % 62]! + out
    rest = Math.floor(rest / 62)
  }
  return out
}

let crcTable: Uint32Array | undefined

/**
 * CRC-32 (IEEE 802.3) of a string's UTF-8 bytes: a typo check, not a security measure. ASCII
 * input (every credential) is read straight from the string, without an encoding pass.
 */
export function crc32(value: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  let ascii = true
  for (let i = 0; i < value.length && ascii; i++) ascii = value.charCodeAt(i) < 0x80
  if (ascii) {
    for (let i = 0; i < value.length; i++) crc = crcTable[(crc ^ value.charCodeAt(i)) & 0xff]! ^ (crc >>> 8)
  } else {
    const bytes = utf8(value)
    for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * `sha256(value)` computed synchronously where the runtime can (Node), else `undefined`. The hot
 * paths (every API-key check, every refresh token) use it to skip a promise round trip.
 */
export function sha256Sync(value: string): string | undefined {
  if (nodeCrypto?.hash) return nodeCrypto.hash('sha256', value, 'base64url')
  if (nodeCrypto) return base64urlEncode(nodeCrypto.createHash('sha256').update(value).digest())
  return undefined
}

/** SHA-256 of a string, base64url-encoded: how API keys, refresh tokens and the admin token are stored. */
export async function sha256(value: string): Promise<string> {
  return (
    sha256Sync(value) ?? base64urlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(value))))
  )
}

/**
 * Compares two strings without an early exit, so the time taken does not reveal how many
 * leading characters matched. Used on hashes, which have a fixed length.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length)
  let diff = a.length ^ b.length
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}
