import { getBuiltin } from '../runtime.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const INDEX = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i

// RFC 7515 §2: base64url without padding; '+', '/', '=' and whitespace are not in the alphabet.
const ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/

/**
 * Whether `segment` is canonical base64url (RFC 7515 §2, RFC 4648 §5 and §3.5): alphabet
 * characters only, no padding, a length that encodes whole bytes, and zero unused trailing
 * bits — so every byte string has exactly one accepted spelling and a token cannot be varied
 * without changing what was signed.
 *
 * @example isCanonicalBase64url('QQ') // true; 'QR' encodes the same byte with a set spare bit: false
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-3.5
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!ALPHABET_ONLY.test(segment)) return false
  const rest = segment.length & 3
  if (rest === 0) return true
  if (rest === 1) return false
  const last = INDEX[segment.charCodeAt(segment.length - 1)]!
  // Two chars carry one byte (4 spare bits), three carry two bytes (2 spare bits).
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0
}

/** Decodes a segment already checked by `isCanonicalBase64url`. */
export type Base64urlDecoder = (segment: string) => Uint8Array

interface NodeBufferModule {
  Buffer: { from(value: string, encoding: 'base64url'): Uint8Array }
}

/** Portable decoder for runtimes without `node:buffer` (edge). */
function decodePortable(segment: string): Uint8Array {
  const out = new Uint8Array((segment.length * 3) >>> 2)
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < segment.length; i++) {
    value = (value << 6) | INDEX[segment.charCodeAt(i)]!
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >>> bits) & 0xff
    }
  }
  return out
}

/**
 * The fastest decoder the runtime offers: Node's native `Buffer` (reached without a static
 * `node:*` import) or a portable one. Chosen once per verifier.
 */
export function createBase64urlDecoder(): Base64urlDecoder {
  const buffer = getBuiltin<NodeBufferModule>('node:buffer')?.Buffer
  if (buffer) return (segment) => buffer.from(segment, 'base64url')
  return decodePortable
}
