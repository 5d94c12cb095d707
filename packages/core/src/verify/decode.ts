import { TokenMalformedError } from '../errors.js'
import type { JWTClaims, JWTHeader } from '../types.js'
import { createBase64urlDecoder, hasCanonicalEnd } from './base64url.js'
import { freezeDeep } from './freeze-deep.js'
import { parseJSONObject } from './json.js'

/** A compact JWS taken apart, nothing verified yet. */
export interface DecodedJWS {
  header: JWTHeader
  claims: JWTClaims
  /** `BASE64URL(header) '.' BASE64URL(payload)`: the exact bytes that were signed (ASCII). */
  signingInput: string
  /** The signature segment, checked canonical; decoded by the signature check itself. */
  signature: string
}

/** Takes a token apart or throws `TokenMalformedError`. */
export type JWSDecoder = (token: string) => DecodedJWS

// Exactly three segments of the base64url alphabet (RFC 7515 §7.1): no padding, no '+', '/',
// whitespace or a fourth/fifth (JWE) segment. One pass over the token.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// The same after a header segment already known good: payload and signature, from `lastIndex`.
const PAYLOAD_AND_SIGNATURE = /[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/y

// Tokens of one issuer share a handful of headers (one per key); parsing each once saves a
// decode and a JSON parse per verification. Bounded: when full it starts over.
const MAX_REMEMBERED_HEADERS = 64

function malformed(what: string): TokenMalformedError {
  return new TokenMalformedError(`The token is not a valid compact JWS: ${what}`)
}

/**
 * Creates the strict compact-JWS parser of one verifier (RFC 7515 §7.1): the size limit first,
 * exactly three canonical base64url segments, a UTF-8 JSON object header with a string `alg`
 * and a JSON object payload (no duplicate members, finite numbers) — each segment decoded
 * once. Uses Node's native base64 when it can, a portable decoder elsewhere.
 *
 * @example
 * const decode = createJWSDecoder(8192)
 * const { header, claims, signingInput, signature } = decode(token)
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 */
export function createJWSDecoder(maxBytes: number): JWSDecoder {
  const base64url = createBase64urlDecoder()
  const headers = new Map<string, JWTHeader>()
  // The header segment of the previous token and its header: tokens of one key share it, and
  // comparing it in place costs less than hashing a fresh slice for the map.
  let lastSegment = ''
  let lastHeader: JWTHeader | undefined

  function json(segment: string, what: string): Record<string, unknown> {
    let text: string
    try {
      text = base64url.text(segment)
    } catch {
      throw malformed(`the ${what} is not UTF-8`)
    }
    const value = parseJSONObject(text)
    if (value === undefined) throw malformed(`the ${what} is not a strict JSON object`)
    return value
  }

  function header(segment: string): JWTHeader {
    const known = headers.get(segment)
    if (known !== undefined) return known
    const parsed = json(segment, 'header')
    if (typeof parsed.alg !== 'string') throw malformed('the header has no string "alg"')
    if (headers.size >= MAX_REMEMBERED_HEADERS) headers.clear()
    // Shared by every token with this header, so nobody may change it.
    headers.set(segment, freezeDeep(parsed as JWTHeader))
    return parsed as JWTHeader
  }

  return function decodeJWS(token) {
    // Before anything else, so an oversized token costs nothing (RFC 8725 §3.2 spirit: bound
    // work). Valid tokens are ASCII, so characters are bytes; others fail the alphabet check.
    if (token.length > maxBytes) throw malformed('it exceeds the size limit')
    let first = lastSegment.length
    let known: JWTHeader | undefined
    // A plain comparison of equal-length strings: cheaper than hashing for the map, and steadier
    // than startsWith across V8 tiers.
    if (lastHeader !== undefined && token.charCodeAt(first) === 46 && token.slice(0, first) === lastSegment) {
      // The header segment is one already checked and parsed: check the rest of the token.
      PAYLOAD_AND_SIGNATURE.lastIndex = first + 1
      if (!PAYLOAD_AND_SIGNATURE.test(token)) throw malformed('it is not three base64url segments')
      known = lastHeader
    } else {
      if (!COMPACT_JWS.test(token)) throw malformed('it is not three base64url segments')
      first = token.indexOf('.')
    }
    const second = token.indexOf('.', first + 1)
    const payloadSegment = token.slice(first + 1, second)
    const signatureSegment = token.slice(second + 1)
    if (known === undefined) {
      const headerSegment = token.slice(0, first)
      if (!hasCanonicalEnd(headerSegment)) throw malformed('a segment is not canonical base64url')
      known = header(headerSegment)
      lastSegment = headerSegment
      lastHeader = known
    }
    if (!hasCanonicalEnd(payloadSegment) || !hasCanonicalEnd(signatureSegment)) {
      throw malformed('a segment is not canonical base64url')
    }
    return {
      header: known,
      claims: json(payloadSegment, 'payload') as JWTClaims,
      signingInput: token.slice(0, second),
      signature: signatureSegment,
    }
  }
}
