import type { SessionResponse } from './types.js'

/**
 * The fetch `Response` of a session answer, one `Set-Cookie` header per cookie.
 *
 * @example return toWebSessionResponse(await sessions.login(request, { subject: user.id }))
 */
export function toWebSessionResponse(answer: SessionResponse): Response {
  const headers = new Headers(answer.headers)
  for (const cookie of answer.cookies) headers.append('set-cookie', cookie)
  return new Response(answer.body, { status: answer.status, headers })
}
