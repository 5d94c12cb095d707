/**
 * Answers a Keygate error the Hono way. Builds on `httpError` from `@keygate/core/http`:
 * status, `WWW-Authenticate`, `Retry-After` and the JSON body all come from core.
 */
import type { AuthError } from '@keygate/core'
import { httpError } from '@keygate/core/http'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** An error hook: return a `Response` to answer your own way, nothing for Keygate's answer. */
export type ErrorHook = (error: AuthError, c: Context) => Response | undefined | Promise<Response | undefined>

/** Options shared by `authenticate` and `authorize` for rendering errors. */
export interface RenderOptions {
  /** `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). */
  realm?: string
  /** Renders errors your own way (as ApoJWT's `exception_handler`). */
  onError?: ErrorHook
}

/** The hook's `Response`, or core's mapping as JSON (headers set earlier on `c` are kept). */
export async function renderError(error: AuthError, c: Context, options: RenderOptions): Promise<Response> {
  const custom = options.onError ? await options.onError(error, c) : undefined
  if (custom) return custom
  const { status, headers, body } = httpError(error, { realm: options.realm })
  return c.json(body, status as ContentfulStatusCode, headers)
}
