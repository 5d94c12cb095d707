import { getBuiltin } from '../runtime.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const INDEX = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i

// RFC 7515 §2: base64url without padding; '+', '/', '=' and whitespace are not in the alphabet.
const ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/

/**
 * Whether a segment made only of base64url alphabet characters is canonical (RFC 4648 §3.5):
 * a length that encodes whole bytes and zero unused trailing bits, so every byte string has
 * exactly one accepted spelling and a token cannot be varied without changing what was signed.
 *
 * @example hasCanonicalEnd('QQ') // true; 'QR' encodes the same byte with a set spare bit: false
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-3.5
 */
export function hasCanonicalEnd(segment: string): boolean {
  const rest = segment.length & 3
  if (rest === 0) return true
  if (rest === 1) return false
  const last = INDEX[segment.charCodeAt(segment.length - 1)]!
  // Two chars carry one byte (4 spare bits), three carry two bytes (2 spare bits).
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0
}

/**
 * Whether `segment` is canonical base64url (RFC 7515 §2): alphabet characters only, no
 * padding, and a canonical end (see `hasCanonicalEnd`).
 *
 * @example isCanonicalBase64url('eyJhbGciOiJFUzI1NiJ9') // true
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-2
 */
export function isCanonicalBase64url(segment: string): boolean {
  return ALPHABET_ONLY.test(segment) && hasCanonicalEnd(segment)
}

/** Decodes segments already checked by `isCanonicalBase64url`. */
export interface Base64urlDecoder {
  /** The bytes, in a fresh array the caller may keep. */
  bytes(segment: string): Uint8Array
  /** The bytes as strict UTF-8 text; throws a `TypeError` for invalid UTF-8 (RFC 8259 §8.1). */
  text(segment: string): string
}

/** A Node `Buffer` instance, as far as this module uses one. */
interface NodeBufferInstance extends Uint8Array {
  write(value: string, offset: number, length: number, encoding: 'base64url'): number
  // The native per-encoding methods behind `write` and `toString` (on Buffer.prototype since
  // Node 0.x, undocumented): used when present, feature-detected.
  base64urlWrite?(value: string, offset: number, length: number): number
  utf8Slice?(start: number, end: number): string
}

interface NodeBufferModule {
  Buffer: {
    from(value: string, encoding: 'base64url'): Uint8Array
    allocUnsafeSlow(size: number): NodeBufferInstance
  }
  /** Strict UTF-8 validation (Node ≥ 18.14). */
  isUtf8?(input: Uint8Array): boolean
}

// `ignoreBOM` keeps a byte-order mark in the text, so JSON.parse rejects it instead of the
// decoder silently dropping it; `fatal` rejects invalid UTF-8.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Portable decoding for runtimes without `node:buffer` (edge). */
function decodePortable(segment: string): Uint8Array {
  const out = new Uint8Array((segment.length * 3) >>> 2)
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < segment.length; i++) {
    // Only the low 14 bits matter; higher ones may overflow harmlessly.
    value = (value << 6) | INDEX[segment.charCodeAt(i)]!
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >>> bits) & 0xff
    }
  }
  return out
}

// Room for the header or payload of a typical token; grown on demand.
const INITIAL_SCRATCH_BYTES = 4096

/**
 * The fastest decoder the runtime offers: Node's native `Buffer` (reached without a static
 * `node:*` import) or a portable one. Chosen once per verifier. On Node, text is decoded
 * through one reused scratch buffer — safe because decoding is synchronous — so a
 * verification allocates no buffer for its header and payload.
 */
export function createBase64urlDecoder(): Base64urlDecoder {
  const module = getBuiltin<NodeBufferModule>('node:buffer')
  const buffer = module?.Buffer
  if (!buffer) return { bytes: decodePortable, text: (segment) => UTF8.decode(decodePortable(segment)) }
  let scratch = buffer.allocUnsafeSlow(INITIAL_SCRATCH_BYTES)
  // Reused while lengths repeat, as they mostly do for one issuer's tokens.
  let view = new Uint8Array(scratch.buffer, scratch.byteOffset, 0)
  // The native methods skip the generic `write`/`TextDecoder` wrappers, whose shared call sites
  // other libraries in the process make polymorphic. Same strictness: `isUtf8` rejects what a
  // fatal TextDecoder rejects, and `utf8Slice`, like `ignoreBOM`, keeps a byte-order mark.
  const isUtf8 = module?.isUtf8
  const direct =
    typeof isUtf8 === 'function' &&
    typeof scratch.base64urlWrite === 'function' &&
    typeof scratch.utf8Slice === 'function'
  return {
    bytes: (segment) => buffer.from(segment, 'base64url'),
    text(segment) {
      const size = (segment.length * 3) >>> 2
      if (size > scratch.length) {
        scratch = buffer.allocUnsafeSlow(size * 2)
        view = new Uint8Array(scratch.buffer, scratch.byteOffset, 0)
      }
      const written = direct
        ? scratch.base64urlWrite!(segment, 0, size)
        : scratch.write(segment, 0, size, 'base64url')
      if (view.length !== written) view = new Uint8Array(scratch.buffer, scratch.byteOffset, written)
      if (!direct) return UTF8.decode(view)
      if (!isUtf8!(view)) throw new TypeError('The bytes are not UTF-8')
      return scratch.utf8Slice!(0, written)
    },
  }
}
