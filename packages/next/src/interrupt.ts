/**
 * How server code (server components, server actions, `getAuth`) answers an `AuthError` it
 * cannot render as a response: a redirect to `loginUrl`, Next.js's `unauthorized()` (401) or
 * `forbidden()` (403) auth interrupts, or the error thrown as is. A client's mistake should not
 * become a 500; an outage must not pass for a 401 or 403.
 * Builds on `redirect`, `unauthorized` and `forbidden` from `next/navigation`.
 */
import type { AuthError } from '@keygate/core/errors'
import type { Settings } from './options.js'

/** What server code does with an error. */
export type Interrupt = 'login' | 'unauthorized' | 'forbidden' | 'throw'

/** The part of the options that decides it. */
export interface InterruptPolicy {
  loginUrl?: string | undefined
  interrupts?: boolean | undefined
}

/**
 * Chooses the answer to an error by its HTTP status: 400/401 → `loginUrl`, else `unauthorized()`;
 * 403 → `forbidden()`; anything else (503, a bug) is thrown. Interrupts only when enabled.
 *
 * @example interruptFor(new InsufficientScopeError('write'), { interrupts: true }) // 'forbidden'
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function interruptFor(error: AuthError, policy: InterruptPolicy): Interrupt {
  // 400 (two tokens, an empty bearer) is as much "no usable credentials" as 401; Next.js has no
  // 400 interrupt, and a client's mistake should not surface as a 500.
  if (error.status === 400 || error.status === 401) {
    if (policy.loginUrl !== undefined) return 'login'
    return policy.interrupts ? 'unauthorized' : 'throw'
  }
  if (error.status === 403 && policy.interrupts) return 'forbidden'
  // 503 (keys or provider unavailable) stays an error: the error boundary, never a 401 or 403.
  return 'throw'
}

/**
 * Answers the error as `interruptFor` decides; never resolves. `login: false` leaves `loginUrl`
 * out (`auth()`, `getAuth()` — only `requireAuth()` sends visitors to log in).
 *
 * `next/navigation` is imported only here, on demand: `next` has no `exports` map, so plain Node
 * (a `node --test` of a route handler) cannot resolve the extensionless specifier, while Turbopack
 * maps only the extensionless one to the server build of `next/navigation` in route handlers.
 *
 * @example if (!resolution.ok) return interrupt(resolution.error, settings, { login: true })
 */
export async function interrupt(
  error: AuthError,
  settings: Settings,
  { login }: { login: boolean },
): Promise<never> {
  const { loginUrl, interrupts } = settings.options
  const policy = { interrupts, loginUrl: login ? loginUrl : undefined }
  const answer = interruptFor(error, policy)
  if (answer === 'throw') throw error
  const navigation = await import('next/navigation')
  if (answer === 'login') return navigation.redirect(loginUrl!)
  return answer === 'unauthorized' ? navigation.unauthorized() : navigation.forbidden()
}
