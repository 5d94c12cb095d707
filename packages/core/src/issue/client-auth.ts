import { InvalidRequestError } from '../errors.js'
import type { IssuerRequestHead } from './exchange.js'

/** Client credentials as sent (RFC 6749 §2.3.1): the API key is the client secret. */
export interface ClientCredentials {
  /** `basic`: `Authorization: Basic`; `post`: `client_secret` in the form. */
  method: 'basic' | 'post'
  /** `client_id` when sent: must then be the key's id. */
  clientId: string | undefined
  secret: string
}

const BASIC = /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i

// RFC 6749 §2.3.1: client_id and client_secret are form-encoded before Basic encoding.
function formDecode(value: string): string {
  // Keys and ids are base62 with '_': nothing to decode in the common case.
  if (!value.includes('%') && !value.includes('+')) return value
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    throw new InvalidRequestError('The Basic credentials are malformed')
  }
}

/**
 * Finds client credentials in `Authorization: Basic` or in the form's `client_secret`
 * (`client_id` optional). Returns `undefined` when none were sent; throws `InvalidRequestError`
 * for malformed Basic credentials or for credentials sent both ways (RFC 6749 §2.3: one method only).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function clientCredentials(
  request: IssuerRequestHead,
  form: Map<string, string>,
): ClientCredentials | undefined {
  const header = request.headers.get('authorization')
  const isBasic = header !== null && /^basic(\s|$)/i.test(header.trim())
  if (isBasic) {
    if (form.has('client_secret') || form.has('client_id')) {
      throw new InvalidRequestError('Client credentials were sent by more than one method')
    }
    const match = BASIC.exec(header!.trim())
    if (!match) throw new InvalidRequestError('The Basic credentials are malformed')
    let decoded: string
    try {
      decoded = atob(match[1]!)
    } catch {
      throw new InvalidRequestError('The Basic credentials are malformed')
    }
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new InvalidRequestError('The Basic credentials are malformed')
    const clientId = formDecode(decoded.slice(0, colon))
    return {
      method: 'basic',
      clientId: clientId === '' ? undefined : clientId,
      secret: formDecode(decoded.slice(colon + 1)),
    }
  }
  const secret = form.get('client_secret')
  // A bare client_id identifies a public client (RFC 6749 §2.1); Keygate has none, so it is
  // simply no credential.
  if (secret === undefined) return undefined
  return { method: 'post', clientId: form.get('client_id'), secret }
}
