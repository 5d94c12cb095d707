import { AuthError, InvalidRequestError } from '../errors.js'
import { BodyReadError, type BodyReadFailure, decodeUTF8 } from '../read-body.js'
import type { IssuerRequest, IssuerRequestHead } from './exchange.js'

/**
 * Strict request-body reading for the issuer's routes: the media type is checked before the
 * body is read, the size while it is read (a missing or lying `Content-Length` does not help),
 * and every malformation is a 400 `invalid_request` — never a 500.
 */

/** Request bodies above this are refused: OAuth requests are a few hundred bytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024

const ENCODER = new TextEncoder()
const FORM = 'application/x-www-form-urlencoded'
const JSON_TYPE = 'application/json'
function mediaType(request: IssuerRequestHead): string {
  const value = request.headers.get('content-type')
  if (value === null) return ''
  // What every client sends, answered without splitting and lower-casing a copy.
  if (value === FORM || value === JSON_TYPE) return value
  return value.split(';', 1)[0]!.trim().toLowerCase()
}

/**
 * Reads the body as UTF-8 text, refusing more than `maxBytes`: every failure is a 400. The
 * request's reader may stop early with its own `AuthError`; whatever it returns is checked again.
 */
export async function readText(request: IssuerRequest, maxBytes: number): Promise<string> {
  try {
    const body = await request.readBody(maxBytes)
    if (typeof body !== 'string') {
      if (body.byteLength > maxBytes) throw new BodyReadError('too_large')
      return decodeUTF8(body)
    }
    // A UTF-8 character is at most 3 bytes per UTF-16 code unit: short texts need no encoding.
    if (body.length * 3 > maxBytes && ENCODER.encode(body).byteLength > maxBytes) {
      throw new BodyReadError('too_large')
    }
    return body
  } catch (error) {
    if (error instanceof BodyReadError)
      throw new InvalidRequestError(BODY_FAILURE[error.reason], { cause: error.cause })
    if (AuthError.is(error)) throw error
    throw new InvalidRequestError(BODY_FAILURE.read, { cause: error })
  }
}

const BODY_FAILURE: Record<BodyReadFailure, string> = {
  too_large: 'The request body is too large',
  read: 'The request body could not be read',
  encoding: 'The request body is not valid UTF-8',
}

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §4.4.2). Repeated parameters are
 * refused (RFC 6749 §3.2: parameters MUST NOT be included more than once), and so is any
 * parameter without a value-bearing name.
 */
export async function readForm(request: IssuerRequest, maxBytes: number): Promise<Map<string, string>> {
  if (mediaType(request) !== FORM) {
    throw new InvalidRequestError(`The request body must be ${FORM}`)
  }
  const text = await readText(request, maxBytes)
  const form = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(text)) {
    if (name === '') throw new InvalidRequestError('The form has a parameter without a name')
    if (form.has(name))
      throw new InvalidRequestError(`The parameter "${name.slice(0, 40)}" was sent more than once`)
    form.set(name, value)
  }
  return form
}

/** Reads an `application/json` body that must be a JSON object. */
export async function readJSONObject(
  request: IssuerRequest,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  if (mediaType(request) !== JSON_TYPE) throw new InvalidRequestError(`The request body must be ${JSON_TYPE}`)
  const text = await readText(request, maxBytes)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestError('The request body must be a JSON object')
  }
  return value as Record<string, unknown>
}
