import { createIssuer } from '../issue/create-issuer.js'
import { REFRESH_TOKEN_PREFIX } from '../issue/credential-format.js'
import { createMemoryIssuerStore } from '../issue/memory-store.js'
import type { Issuer, IssuerEvent } from '../issue/types.js'
import { createSessions } from '../session/create-sessions.js'
import type { Sessions } from '../session/types.js'
import type { AuthOptions } from '../verify/types.js'

/** The routes every framework's session fixture app serves, besides the session routes. */
export const SESSION_APP_ROUTES = {
  /**
   * `POST`, JSON `{ subject }` → the framework's login helper with
   * `{ subject, permissions: ['read'] }` (`sessions.login`).
   */
  login: '/login',
  /**
   * `GET` and `POST` → `authenticate(createAuth(kit.authOptions), { getToken: <access cookie> })`,
   * then `{ subject }`.
   */
  me: '/me',
} as const

/** The page origin the kit's sessions allow. */
export const SESSION_ORIGIN = 'https://app.keygate.test'
const FOREIGN_ORIGIN = 'https://evil.keygate.test'
const GRACE_MS = 30_000
const ACCESS_TTL_S = 900
const REFRESH_TTL_S = 30 * 86_400

/** Sends a request to the app under test: its base URL on 127.0.0.1, or a fetch-style function. */
export type SessionSend = string | ((path: string, init: RequestInit) => Promise<Response>)

/** One flow of the shared table; it starts its own session, so flows are independent. */
export interface SessionScenario {
  name: string
  run(send: SessionSend): Promise<void>
}

/** Everything a framework's session test needs. */
export interface SessionKit {
  /** A real issuer over a memory store, on the kit's clock. */
  issuer: Issuer
  /** Sessions over it: `allowedOrigins: [SESSION_ORIGIN]`, `accessCookie: true`, default path. */
  sessions: Sessions
  /** `createAuth` options verifying the issuer's tokens on the kit's clock. */
  authOptions: AuthOptions
  /** The issuer's audit events so far. */
  events: IssuerEvent[]
  scenarios: SessionScenario[]
  /** Moves the issuer's clock (and the verifier's). */
  advance(ms: number): void
  /**
   * Throws when `text` (a captured log, an error) contains a token or cookie value the kit has
   * seen; `where` names the text in the message, which never quotes the secret.
   */
  assertNoSecrets(text: string, where: string): void
}

interface Answer {
  status: number
  headers: Headers
  cookies: string[]
  text: string
  json: Record<string, unknown>
}

/**
 * Builds the browser-session scenario table every framework package runs through its real
 * server: login cookie attributes, rotation, replay after the grace window revoking the family,
 * cross-origin and simple-form refusals, logout, the access cookie, no secret in any answer.
 *
 * @example
 * const kit = await createSessionKit()
 * const app = buildApp(kit.sessions, createAuth(kit.authOptions))
 * for (const s of kit.scenarios) it(s.name, () => s.run(baseUrl))
 */
export async function createSessionKit(): Promise<SessionKit> {
  let now = Date.now()
  const clock = () => now
  const events: IssuerEvent[] = []
  const key = new Uint8Array(32)
  crypto.getRandomValues(key)
  const issuer = createIssuer({
    issuer: 'https://issuer.keygate.test',
    audience: 'https://api.keygate.test',
    store: createMemoryIssuerStore(),
    encryptionKey: key,
    accessTokenTtl: ACCESS_TTL_S * 1000,
    refreshTokenTtl: REFRESH_TTL_S * 1000,
    refreshRotation: { graceWindow: GRACE_MS },
    clock,
    onEvent: (event) => events.push(event),
  })
  await issuer.ready()
  const sessions = createSessions({ issuer, allowedOrigins: [SESSION_ORIGIN], accessCookie: true })
  const authOptions: AuthOptions = {
    issuer: issuer.issuer,
    audience: [...issuer.audience],
    source: issuer.keySource(),
    algorithms: ['EdDSA'],
    clock,
  }
  const secrets = new Set<string>()
  const assertNoSecrets = (text: string, where: string) => {
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`${where} contains a token or cookie value`)
    }
  }

  async function call(send: SessionSend, path: string, init: RequestInit): Promise<Answer> {
    const response =
      typeof send === 'string' ? await fetch(new URL(path, send), init) : await send(path, init)
    const text = await response.text()
    let json: Record<string, unknown> = {}
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {}
    } catch {
      throw new Error(`${init.method} ${path}: the body is not JSON (status ${response.status})`)
    }
    const cookies = response.headers.getSetCookie()
    for (const cookie of cookies) {
      const value = cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf(';'))
      if (value !== '') secrets.add(value)
    }
    if (typeof json.access_token === 'string') secrets.add(json.access_token)
    // An error answer must never echo what was sent; headers other than Set-Cookie neither.
    if (response.status >= 400) assertNoSecrets(text, `the ${response.status} body of ${path}`)
    const headerText = [...response.headers].filter(([name]) => name !== 'set-cookie').join('\n')
    assertNoSecrets(headerText, `the headers of ${path}`)
    return { status: response.status, headers: response.headers, cookies, text, json }
  }

  const jsonPost = (cookie?: string, extra: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: {
      origin: SESSION_ORIGIN,
      'content-type': 'application/json',
      ...(cookie === undefined ? {} : { cookie }),
      ...extra,
    },
    body: '{}',
  })
  const refreshCookie = (value: string) => `__Secure-keygate-refresh=${value}`
  const accessCookie = (value: string) => `__Host-keygate-access=${value}`
  const { refresh, logout } = sessions.routes

  function check(condition: boolean, what: string, answer?: Answer): asserts condition {
    if (!condition) {
      const detail = answer ? ` (status ${answer.status}, code ${String(answer.json.code)})` : ''
      throw new Error(`${what}${detail}`)
    }
  }
  function expectError(answer: Answer, status: number, code: string, what: string) {
    check(
      answer.status === status && answer.json.code === code,
      `${what}: expected ${status} ${code}`,
      answer,
    )
  }
  /** The value of the named cookie set by an answer, after checking its exact attributes. */
  function setCookieValue(answer: Answer, name: 'refresh' | 'access', maxAge: number): string {
    const prefix = name === 'refresh' ? '__Secure-keygate-refresh=' : '__Host-keygate-access='
    const attributes =
      name === 'refresh'
        ? `; Path=/auth/session; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`
        : `; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`
    const cookie = answer.cookies.find((c) => c.startsWith(prefix))
    check(cookie !== undefined, `expected a ${name} cookie`, answer)
    const value = cookie.slice(prefix.length, cookie.indexOf(';'))
    check(
      cookie === `${prefix}${value}${attributes}`,
      `the ${name} cookie's attributes are not exactly right`,
    )
    return value
  }
  function expectCleared(answer: Answer, what: string) {
    const expected = [
      '__Secure-keygate-refresh=; Path=/auth/session; Max-Age=0; HttpOnly; Secure; SameSite=Strict',
      '__Host-keygate-access=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict',
    ]
    check(
      answer.cookies.length === 2 && expected.every((c) => answer.cookies.includes(c)),
      `${what}: expected both cookies deleted`,
      answer,
    )
  }
  function expectTokenBody(answer: Answer, what: string) {
    const keys = Object.keys(answer.json).sort().join(',')
    check(answer.status === 200, `${what}: expected 200`, answer)
    check(keys === 'access_token,expires_in,scope,token_type', `${what}: body has ${keys}`)
    check(answer.json.token_type === 'Bearer' && answer.json.scope === 'read', `${what}: token type or scope`)
    check(answer.json.expires_in === ACCESS_TTL_S, `${what}: expires_in`)
    check(answer.headers.get('cache-control') === 'no-store', `${what}: Cache-Control no-store`)
  }

  let subjects = 0
  /** A new session: the refresh cookie's value and the access token. */
  async function login(
    send: SessionSend,
  ): Promise<{ cookie: string; access: string; subject: string; answer: Answer }> {
    const subject = `user-${++subjects}`
    const answer = await call(send, SESSION_APP_ROUTES.login, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: SESSION_ORIGIN },
      body: JSON.stringify({ subject }),
    })
    expectTokenBody(answer, 'login')
    check(answer.cookies.length === 2, 'login sets exactly the refresh and access cookies', answer)
    const cookie = setCookieValue(answer, 'refresh', REFRESH_TTL_S)
    const access = setCookieValue(answer, 'access', ACCESS_TTL_S)
    check(cookie.startsWith(`${REFRESH_TOKEN_PREFIX}_`), 'the refresh cookie holds a refresh token')
    check(access === answer.json.access_token, 'the access cookie holds the access token of the body')
    return { cookie, access, subject, answer }
  }
  async function rotate(send: SessionSend, cookie: string, what: string) {
    const answer = await call(send, refresh, jsonPost(refreshCookie(cookie)))
    expectTokenBody(answer, what)
    return { answer, cookie: setCookieValue(answer, 'refresh', REFRESH_TTL_S) }
  }

  const scenarios: SessionScenario[] = [
    {
      name: 'login → 200, the access token in the body, HttpOnly Secure SameSite=Strict cookies',
      async run(send) {
        const { answer } = await login(send)
        check(!answer.text.includes(`${REFRESH_TOKEN_PREFIX}_`), 'the body must not carry the refresh token')
      },
    },
    {
      name: 'refresh rotates the cookie and returns a new access token',
      async run(send) {
        const first = await login(send)
        const second = await rotate(send, first.cookie, 'refresh')
        check(second.cookie !== first.cookie, 'the refresh cookie must rotate')
        check(second.answer.json.access_token !== first.access, 'a new access token')
        const access = setCookieValue(second.answer, 'access', ACCESS_TTL_S)
        check(access === second.answer.json.access_token, 'the access cookie follows the body')
        const third = await rotate(send, second.cookie, 'refresh with the new cookie')
        check(third.cookie !== second.cookie, 'it rotates again')
      },
    },
    {
      name: 'the old cookie replayed after the grace window revokes the family; the new one fails too',
      async run(send) {
        const { cookie: old } = await login(send)
        const { cookie: next } = await rotate(send, old, 'refresh')
        // Within the grace window a lost response can be retried: the same successor again.
        const retry = await rotate(send, old, 'replay within the grace window')
        check(retry.cookie === next, 'a replay within the grace window gets the same successor')
        now += GRACE_MS + 1_000
        const replay = await call(send, refresh, jsonPost(refreshCookie(old)))
        expectError(replay, 400, 'ERR_INVALID_GRANT', 'replay after the grace window')
        expectCleared(replay, 'replay after the grace window')
        check(
          events.some((e) => e.type === 'refresh_reuse'),
          'the issuer reports the reuse',
        )
        const after = await call(send, refresh, jsonPost(refreshCookie(next)))
        expectError(after, 400, 'ERR_INVALID_GRANT', 'the successor after the family was revoked')
      },
    },
    {
      name: 'a cross-origin refresh → 403, nothing rotated',
      async run(send) {
        const { cookie } = await login(send)
        for (const origin of [FOREIGN_ORIGIN, 'null', undefined]) {
          const init = jsonPost(refreshCookie(cookie))
          const headers = init.headers as Record<string, string>
          if (origin === undefined) delete headers.origin
          else headers.origin = origin
          const answer = await call(send, refresh, init)
          expectError(answer, 403, 'ERR_CROSS_SITE_REQUEST', `refresh from origin ${origin ?? '(none)'}`)
          check(answer.cookies.length === 0, 'a refused request changes no cookie', answer)
        }
        await rotate(send, cookie, 'the cookie still works from the allowed origin')
      },
    },
    {
      name: 'a simple-form POST → 403; the CSRF header makes it non-simple',
      async run(send) {
        const { cookie } = await login(send)
        for (const type of [
          'application/x-www-form-urlencoded',
          'text/plain',
          'multipart/form-data; boundary=x',
        ]) {
          const answer = await call(send, refresh, {
            method: 'POST',
            headers: { origin: SESSION_ORIGIN, 'content-type': type, cookie: refreshCookie(cookie) },
            body: type === 'text/plain' ? '{}' : '',
          })
          expectError(answer, 403, 'ERR_CROSS_SITE_REQUEST', `refresh posted as ${type}`)
        }
        const withHeader = await call(send, refresh, {
          method: 'POST',
          headers: { origin: SESSION_ORIGIN, 'x-requested-with': 'fetch', cookie: refreshCookie(cookie) },
        })
        expectTokenBody(withHeader, 'refresh with X-Requested-With')
      },
    },
    {
      name: 'logout revokes the family and deletes the cookies; it is idempotent',
      async run(send) {
        const { cookie } = await login(send)
        const foreign = await call(send, logout, jsonPost(refreshCookie(cookie), { origin: FOREIGN_ORIGIN }))
        expectError(foreign, 403, 'ERR_CROSS_SITE_REQUEST', 'a cross-origin logout')
        const out = await call(send, logout, jsonPost(refreshCookie(cookie)))
        check(out.status === 204 && out.text === '', 'logout → 204 without a body', out)
        expectCleared(out, 'logout')
        const after = await call(send, refresh, jsonPost(refreshCookie(cookie)))
        expectError(after, 400, 'ERR_INVALID_GRANT', 'refresh after logout')
        const again = await call(send, logout, jsonPost(refreshCookie(cookie)))
        check(again.status === 204, 'a second logout with the revoked cookie → 204', again)
        const none = await call(send, logout, jsonPost())
        check(none.status === 204, 'a logout without a cookie → 204', none)
        expectCleared(none, 'a logout without a cookie')
      },
    },
    {
      name: 'the access token of a revoked family is refused on the refresh route',
      async run(send) {
        const { cookie, access } = await login(send)
        await rotate(send, cookie, 'refresh')
        now += GRACE_MS + 1_000
        expectError(
          await call(send, refresh, jsonPost(refreshCookie(cookie))),
          400,
          'ERR_INVALID_GRANT',
          'replay after the grace window',
        )
        // The refresh route reads only the refresh cookie: a bearer header or the access cookie is not one.
        const bearer = await call(send, refresh, jsonPost(undefined, { authorization: `Bearer ${access}` }))
        expectError(bearer, 401, 'ERR_TOKEN_MISSING', 'the access token as a bearer header')
        const inAccessCookie = await call(send, refresh, jsonPost(accessCookie(access)))
        expectError(inAccessCookie, 401, 'ERR_TOKEN_MISSING', 'the access cookie alone')
        const asRefresh = await call(send, refresh, jsonPost(refreshCookie(access)))
        expectError(asRefresh, 400, 'ERR_INVALID_GRANT', 'the access token in the refresh cookie')
      },
    },
    {
      name: 'no cookie → 401; a GET on the refresh route → 405',
      async run(send) {
        expectError(
          await call(send, refresh, jsonPost()),
          401,
          'ERR_TOKEN_MISSING',
          'refresh without a cookie',
        )
        const get = await call(send, refresh, { method: 'GET', headers: { origin: SESSION_ORIGIN } })
        expectError(get, 405, 'ERR_METHOD_NOT_ALLOWED', 'GET on the refresh route')
        check(get.headers.get('allow') === 'POST', 'Allow: POST', get)
      },
    },
    {
      name: 'the access cookie authenticates; an unsafe method needs the same cross-site checks',
      async run(send) {
        const { access, subject } = await login(send)
        const me = await call(send, SESSION_APP_ROUTES.me, {
          method: 'GET',
          headers: { cookie: accessCookie(access) },
        })
        check(
          me.status === 200 && me.json.subject === subject,
          'GET /me with the cookie sees the subject',
          me,
        )
        const foreign = await call(
          send,
          SESSION_APP_ROUTES.me,
          jsonPost(accessCookie(access), { origin: FOREIGN_ORIGIN }),
        )
        expectError(foreign, 403, 'ERR_CROSS_SITE_REQUEST', 'POST /me from another origin')
        const form = await call(send, SESSION_APP_ROUTES.me, {
          method: 'POST',
          headers: {
            origin: SESSION_ORIGIN,
            'content-type': 'application/x-www-form-urlencoded',
            cookie: accessCookie(access),
          },
          body: 'a=1',
        })
        expectError(form, 403, 'ERR_CROSS_SITE_REQUEST', 'POST /me as a simple form')
        const same = await call(send, SESSION_APP_ROUTES.me, jsonPost(accessCookie(access)))
        check(same.status === 200, 'POST /me from the allowed origin with JSON', same)
        const none = await call(send, SESSION_APP_ROUTES.me, { method: 'GET' })
        expectError(none, 401, 'ERR_TOKEN_MISSING', 'GET /me without a cookie')
      },
    },
    {
      name: 'no token or cookie value in any error or event',
      async run() {
        // Every answer above was checked as it came; the audit events are checked here.
        check(secrets.size > 0, 'the scenarios above ran first and saw tokens')
        assertNoSecrets(JSON.stringify(events), 'the issuer events')
      },
    },
  ]

  return {
    issuer,
    sessions,
    authOptions,
    events,
    scenarios,
    advance(ms) {
      now += ms
    },
    assertNoSecrets,
  }
}
