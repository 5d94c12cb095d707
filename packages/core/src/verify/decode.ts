import { TokenMalformedError } from '../errors.js'
import type { JWTClaims, JWTHeader } from '../types.js'
import { type Base64urlDecoder, isCanonicalBase64url } from './base64url.js'
import { parseJSONObject } from './json.js'

/** A compact JWS taken apart, nothing verified yet. */
export interface DecodedJWS {
  header: JWTHeader
  claims: JWTClaims
  /** `BASE64URL(header) '.' BASE64URL(payload)`: the exact bytes that were signed (ASCII). */
  signingInput: string
  signature: Uint8Array
}

// `ignoreBOM` keeps a byte-order mark in the text, so JSON.parse rejects it instead of the
// decoder silently dropping it; `fatal` rejects invalid UTF-8 (RFC 8259 §8.1).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function malformed(what: string): TokenMalformedError {
  return new TokenMalformedError(`The token is not a valid compact JWS: ${what}`)
}

function decodeJSON(segment: string, decode: Base64urlDecoder, what: string): Record<string, unknown> {
  let text: string
  try {
    text = UTF8.decode(decode(segment))
  } catch {
    throw malformed(`the ${what} is not UTF-8`)
  }
  const value = parseJSONObject(text)
  if (value === undefined) throw malformed(`the ${what} is not a strict JSON object`)
  return value
}

/**
 * Takes a compact JWS apart strictly (RFC 7515 §7.1): the size limit first, exactly three
 * canonical base64url segments, a UTF-8 JSON object header with a string `alg` and a JSON
 * object payload — decoding each segment once. Throws `TokenMalformedError`.
 *
 * @example const { header, claims, signingInput, signature } = decodeJWS(token, 8192, decoder)
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 */
export function decodeJWS(token: string, maxBytes: number, decode: Base64urlDecoder): DecodedJWS {
  // Before anything else, so an oversized token costs nothing (RFC 8725 §3.2 spirit: bound work).
  // Valid tokens are ASCII, so characters are bytes; anything else fails the alphabet check.
  if (token.length > maxBytes) throw malformed('it exceeds the size limit')
  const first = token.indexOf('.')
  const second = first < 0 ? -1 : token.indexOf('.', first + 1)
  if (second < 0 || token.indexOf('.', second + 1) >= 0) throw malformed('it does not have three segments')
  const headerSegment = token.slice(0, first)
  const payloadSegment = token.slice(first + 1, second)
  const signatureSegment = token.slice(second + 1)
  if (
    !isCanonicalBase64url(headerSegment) ||
    !isCanonicalBase64url(payloadSegment) ||
    !isCanonicalBase64url(signatureSegment)
  ) {
    throw malformed('a segment is not canonical base64url')
  }
  if (signatureSegment.length === 0) throw malformed('the signature is empty')
  const header = decodeJSON(headerSegment, decode, 'header')
  if (typeof header.alg !== 'string') throw malformed('the header has no string "alg"')
  const claims = decodeJSON(payloadSegment, decode, 'payload')
  return {
    header: header as JWTHeader,
    claims: claims as JWTClaims,
    signingInput: token.slice(0, second),
    signature: decode(signatureSegment),
  }
}
