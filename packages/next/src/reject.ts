/**
 * Turns an `AuthError` into the response the application sees.
 * Builds on core's `toResponse` (status, `WWW-Authenticate`, `Retry-After`, JSON body).
 */
import type { AuthError } from '@keygate/core/errors'
import { toResponse } from '@keygate/core/http'
import type { Settings } from './options.js'

/**
 * Answers an error: the application's `onError` first, else core's `toResponse`.
 *
 * @example return reject(result.error, request, settings)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export async function reject(error: AuthError, request: Request, settings: Settings): Promise<Response> {
  const custom = await settings.options.onError?.(error, request)
  return custom ?? toResponse(error, settings.challenge)
}
