/**
 * Answers a Keygate error the Express way. Builds on `httpError` from `@keygate/core/http`:
 * status, `WWW-Authenticate`, `Retry-After` and the JSON body all come from core.
 */
import type { AuthError } from '@keygate/core'
import { httpError } from '@keygate/core/http'
import type { NextFunction, Request, Response } from 'express'

/** An error hook: may render the error its own way; when it sends nothing, Keygate's answer goes out. */
export type ErrorHook = (error: AuthError, req: Request, res: Response) => void | Promise<void>

/** Options shared by `authenticate` and `authorize` for rendering errors. */
export interface RenderOptions {
  /** `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). */
  realm?: string
  /** Renders errors your own way (as ApoJWT's `exception_handler`). */
  onError?: ErrorHook
}

/** Runs the hook, then answers with core's mapping; only a throwing hook reaches `next(err)`. */
export async function sendError(
  error: AuthError,
  req: Request,
  res: Response,
  next: NextFunction,
  options: RenderOptions,
): Promise<void> {
  try {
    if (options.onError) {
      await options.onError(error, req, res)
      if (res.headersSent) return
    }
    const { status, headers, body } = httpError(error, { realm: options.realm })
    res.status(status).set(headers).json(body)
  } catch (bug) {
    next(bug)
  }
}
