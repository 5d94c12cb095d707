/**
 * Starting a browser session from a server action. Builds on `sessions.login` from
 * `@keygate/core/session` and on `next/headers`' `cookies()`, which is how server code sets a
 * cookie on the response Next.js sends.
 */
import type { SessionLoginInput, Sessions, SessionTokenBody } from '@keygate/core/session'
import { cookies, headers } from 'next/headers.js'

/** The fields of Next.js's `ResponseCookie` that core's cookies use. */
interface ActionCookie {
  name: string
  value: string
  path?: string
  domain?: string
  maxAge?: number
  httpOnly?: boolean
  secure?: boolean
  sameSite?: 'strict' | 'lax' | 'none'
}

/**
 * Starts a session from a server action (or a route handler) once the application has
 * authenticated the user: sets the refresh cookie through `cookies()` and returns the JSON body,
 * `{ access_token, token_type, expires_in, scope }`, for the client component to keep in memory.
 * Next.js refuses a server action whose `Origin` is not the host before it runs. Rejects with
 * `createToken`'s errors. Logout and refresh go through `sessionRoutes`: the refresh cookie's
 * `Path` keeps it away from a server action posted to a page.
 *
 * @example
 * 'use server'
 * export async function login(form: FormData) {
 *   const user = await checkPassword(form) // yours
 *   if (!user) return { error: 'bad credentials' }
 *   return startSessionAction(sessions, { subject: user.id, permissions: user.permissions })
 * }
 */
export async function startSessionAction(
  sessions: Sessions,
  input: SessionLoginInput,
): Promise<SessionTokenBody> {
  const answer = await sessions.login({ headers: await headers() }, input)
  const jar = await cookies()
  for (const cookie of answer.cookies) jar.set(actionCookie(cookie))
  return JSON.parse(answer.body ?? '{}') as SessionTokenBody
}

/** Core's `Set-Cookie` value (`name=value; Path=…; Max-Age=…; HttpOnly; Secure; SameSite=…`) as options. */
function actionCookie(setCookie: string): ActionCookie {
  const [pair = '', ...attributes] = setCookie.split('; ')
  const eq = pair.indexOf('=')
  const cookie: ActionCookie = { name: pair.slice(0, eq), value: pair.slice(eq + 1) }
  for (const attribute of attributes) {
    const [name, value = ''] = attribute.split('=')
    if (name === 'Path') cookie.path = value
    else if (name === 'Domain') cookie.domain = value
    else if (name === 'Max-Age') cookie.maxAge = Number(value)
    else if (name === 'HttpOnly') cookie.httpOnly = true
    else if (name === 'Secure') cookie.secure = true
    else if (name === 'SameSite') cookie.sameSite = value.toLowerCase() as ActionCookie['sameSite']
  }
  return cookie
}
