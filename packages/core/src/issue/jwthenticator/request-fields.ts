import { AuthError } from '../../errors.js'
import type { IssuerRequest } from '../exchange.js'
import { readText } from '../request-body.js'

/**
 * Request bodies as JWThenticator reads them: JSON, loaded by marshmallow schemas. Its answers
 * are kept: 400 `{}` when the body is not JSON, 400 `{ field: [messages] }` (marshmallow's words)
 * when a field is missing, null, of the wrong type, unknown or too long.
 */

/** 400 with the body JWThenticator sends: `{}` for unreadable JSON, field messages otherwise. */
export class JWThenticatorBadRequest extends Error {
  constructor(readonly fields: Record<string, string[]>) {
    super('The JWThenticator request is invalid')
  }
}

/** What one field must be. */
export type FieldKind = { type: 'string'; maxLength: number } | { type: 'uuid' }

const JSON_TYPE = 'application/json'

/**
 * Reads the body as a JSON object and checks it against `schema`; returns the values (UUIDs in
 * canonical lower-case form). The media type must be JSON (or absent): a form or `text/plain`
 * body is what a cross-site page can send without a preflight.
 */
export async function readFields<K extends string>(
  request: IssuerRequest,
  maxBytes: number,
  schema: Record<K, FieldKind>,
): Promise<Record<K, string>> {
  const type = request.headers.get('content-type')
  if (type !== null) {
    const media = type.split(';', 1)[0]!.trim().toLowerCase()
    if (media !== JSON_TYPE && !(media.startsWith('application/') && media.endsWith('+json'))) {
      throw new JWThenticatorBadRequest({})
    }
  }
  let value: unknown
  try {
    value = JSON.parse(await readText(request, maxBytes))
  } catch (error) {
    // A store outage cannot happen here; anything the reader throws is the request's fault.
    if (AuthError.is(error) && error.status >= 500) throw error
    throw new JWThenticatorBadRequest({})
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JWThenticatorBadRequest({ _schema: ['Invalid input type.'] })
  }
  const body = value as Record<string, unknown>
  const errors: Record<string, string[]> = {}
  const out = {} as Record<K, string>
  for (const name of Object.keys(schema) as K[]) {
    const kind = schema[name]
    const field = Object.hasOwn(body, name) ? body[name] : undefined
    if (field === undefined) errors[name] = ['Missing data for required field.']
    else if (field === null) errors[name] = ['Field may not be null.']
    else if (kind.type === 'uuid') {
      const uuid = typeof field === 'string' ? canonicalUUID(field) : undefined
      if (uuid === undefined) errors[name] = ['Not a valid UUID.']
      else out[name] = uuid
    } else if (typeof field !== 'string') errors[name] = ['Not a valid string.']
    else if (field.length === 0) errors[name] = ['Shorter than minimum length 1.']
    else if (field.length > kind.maxLength) errors[name] = [`Longer than maximum length ${kind.maxLength}.`]
    else out[name] = field
  }
  // marshmallow's default for unknown members is to raise, and JWThenticator keeps it.
  for (const name of Object.keys(body)) {
    if (!Object.hasOwn(schema, name)) errors[name.slice(0, 64)] = ['Unknown field.']
  }
  if (Object.keys(errors).length > 0) throw new JWThenticatorBadRequest(errors)
  return out
}

const HEX32 = /^[0-9a-f]{32}$/

/**
 * A UUID in the forms Python's `uuid.UUID(str)` (marshmallow's `fields.UUID`) accepts — hyphens
 * anywhere, optional braces, an optional `urn:uuid:` prefix — as `str(uuid)` writes it.
 */
export function canonicalUUID(value: string): string | undefined {
  if (value.length > 64) return undefined
  const hex = value
    .toLowerCase()
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '')
  if (!HEX32.test(hex)) return undefined
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
