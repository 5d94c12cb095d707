import type { Requirement } from '../authorize/types.js'
import type { AuthOptions } from '../verify/types.js'
import { createTestIssuer, type TestIssuer } from './test-issuer.js'

/** The three routes every adapter fixture app serves for the shared scenarios. */
export const SCENARIO_ROUTES = {
  /** `authenticate(auth)` → handler answers `{ subject, claims }`. */
  protected: '/protected',
  /** `authenticate(auth)` + `authorize(SCENARIO_REQUIREMENT)` → `{ subject, claims }`. */
  scoped: '/scoped',
  /** `authenticate(auth, { optional: true })` → `{ subject, claims }` or `{ anonymous: true }`. */
  optional: '/optional',
} as const

/** The requirement of the `scoped` route. */
export const SCENARIO_REQUIREMENT: Requirement = { scopes: ['write'] }

/** What a scenario expects back. */
export interface ScenarioExpectation {
  status: number
  /** `code` of the JSON error body, when the answer is an error. */
  code?: string
  /**
   * The `WWW-Authenticate` error attribute: `null` means the header must be there with no
   * `error=` (RFC 6750 §3.1, no token sent); `undefined` means not checked.
   */
  challengeError?: string | null
  /** The `scope=` of the challenge (403). */
  challengeScope?: string
  /** Must carry `Retry-After` (503). */
  retryAfter?: boolean
  /** `subject` the handler must have seen (200). */
  subject?: string
  /** A claim the handler must have seen (200), name → value. */
  claim?: [string, unknown]
  /** The optional route let an anonymous request through. */
  anonymous?: boolean
}

/** One row of the shared adapter table. */
export interface AdapterScenario {
  name: string
  route: keyof typeof SCENARIO_ROUTES
  headers: Record<string, string>
  expect: ScenarioExpectation
}

/** Everything an adapter test needs: issuers, the `createAuth` options, the table, a checker. */
export interface AdapterKit {
  /** The healthy issuer most scenarios use. */
  main: TestIssuer
  /** An issuer whose JWKS endpoint always fails: its tokens must give 503, never 401. */
  down: TestIssuer
  /** Options for `createAuth` that trust both issuers. */
  authOptions: AuthOptions
  scenarios: AdapterScenario[]
  /**
   * Sends a scenario to a running app (`baseUrl` on 127.0.0.1, or any fetch-compatible
   * function such as Hono's `app.request`) and throws an `Error` describing the mismatch.
   */
  run(
    scenario: AdapterScenario,
    send: string | ((path: string, init: RequestInit) => Promise<Response>),
  ): Promise<void>
  close(): Promise<void>
}

/**
 * Builds the scenario table every framework package runs against its real server: no token,
 * empty bearer, two tokens, expired, wrong aud, wrong iss, unknown kid, missing scope,
 * JWKS down → 503, valid → the handler sees the claims, optional auth.
 *
 * @example
 * const kit = await createAdapterKit()
 * const app = buildApp(createAuth(kit.authOptions))
 * for (const s of kit.scenarios) it(s.name, () => kit.run(s, baseUrl))
 */
export async function createAdapterKit(): Promise<AdapterKit> {
  const main = await createTestIssuer({ algorithms: ['RS256', 'ES256'] })
  const down = await createTestIssuer({ algorithms: ['RS256'] })
  await main.listen()
  await down.listen()
  down.setMode({ kind: 'status', status: 500 })

  const now = Math.floor(Date.now() / 1000)
  const valid = await main.sign({ sub: 'alice', scope: 'read write', tenant: 'acme' })
  const readOnly = await main.sign({ sub: 'bob', scope: 'read' })
  const expired = await main.sign({ sub: 'alice', iat: now - 7200, exp: now - 3600 })
  const wrongAud = await main.sign({ sub: 'alice', aud: 'https://someone-else.test' })
  const wrongIss = await main.sign({ sub: 'alice', iss: 'https://evil.test' })
  const unknownKid = await main.sign({ sub: 'alice' }, { kid: 'no-such-kid' })
  const fromDown = await down.sign({ sub: 'carol' })
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

  const scenarios: AdapterScenario[] = [
    {
      name: 'no token → 401 without error=',
      route: 'protected',
      headers: {},
      expect: { status: 401, code: 'ERR_TOKEN_MISSING', challengeError: null },
    },
    {
      name: 'empty bearer → 400 invalid_request',
      route: 'protected',
      headers: { authorization: 'Bearer ' },
      expect: { status: 400, code: 'ERR_INVALID_REQUEST', challengeError: 'invalid_request' },
    },
    {
      name: 'two tokens → 400 invalid_request',
      route: 'protected',
      headers: { authorization: `Bearer ${valid}, Bearer ${valid}` },
      expect: { status: 400, code: 'ERR_INVALID_REQUEST', challengeError: 'invalid_request' },
    },
    {
      name: 'malformed token → 401 invalid_token',
      route: 'protected',
      headers: bearer('not.a.jwt'),
      expect: { status: 401, code: 'ERR_TOKEN_MALFORMED', challengeError: 'invalid_token' },
    },
    {
      name: 'expired → 401 invalid_token',
      route: 'protected',
      headers: bearer(expired),
      expect: { status: 401, code: 'ERR_TOKEN_EXPIRED', challengeError: 'invalid_token' },
    },
    {
      name: 'wrong audience → 401 invalid_token',
      route: 'protected',
      headers: bearer(wrongAud),
      expect: { status: 401, code: 'ERR_AUDIENCE_INVALID', challengeError: 'invalid_token' },
    },
    {
      name: 'wrong issuer → 401 invalid_token',
      route: 'protected',
      headers: bearer(wrongIss),
      expect: { status: 401, code: 'ERR_ISSUER_UNTRUSTED', challengeError: 'invalid_token' },
    },
    {
      name: 'unknown kid → 401 invalid_token',
      route: 'protected',
      headers: bearer(unknownKid),
      expect: { status: 401, code: 'ERR_KEY_NOT_FOUND', challengeError: 'invalid_token' },
    },
    {
      name: 'JWKS down → 503 with Retry-After',
      route: 'protected',
      headers: bearer(fromDown),
      expect: { status: 503, code: 'ERR_KEYS_UNAVAILABLE', retryAfter: true },
    },
    {
      name: 'valid → handler sees the claims',
      route: 'protected',
      headers: bearer(valid),
      expect: { status: 200, subject: 'alice', claim: ['tenant', 'acme'] },
    },
    {
      name: 'missing scope → 403 insufficient_scope',
      route: 'scoped',
      headers: bearer(readOnly),
      expect: {
        status: 403,
        code: 'ERR_INSUFFICIENT_SCOPE',
        challengeError: 'insufficient_scope',
        challengeScope: 'write',
      },
    },
    {
      name: 'scope present → 200',
      route: 'scoped',
      headers: bearer(valid),
      expect: { status: 200, subject: 'alice' },
    },
    {
      name: 'optional, anonymous → 200 anonymous',
      route: 'optional',
      headers: {},
      expect: { status: 200, anonymous: true },
    },
    {
      name: 'optional, valid token → 200 with principal',
      route: 'optional',
      headers: bearer(valid),
      expect: { status: 200, subject: 'alice' },
    },
    {
      name: 'optional, bad token → 401 (a bad token is never anonymous)',
      route: 'optional',
      headers: bearer(expired),
      expect: { status: 401, code: 'ERR_TOKEN_EXPIRED' },
    },
  ]

  const authOptions: AuthOptions = {
    issuers: [
      { issuer: main.issuer, audience: main.audience, jwksUri: main.jwksUri },
      // A short max-stale and no retries matter only for this issuer; it never had keys.
      { issuer: down.issuer, audience: down.audience, jwksUri: down.jwksUri },
    ],
    algorithms: ['RS256', 'ES256'],
  }

  return {
    main,
    down,
    authOptions,
    scenarios,
    async run(scenario, send) {
      const path = SCENARIO_ROUTES[scenario.route]
      const init: RequestInit = { method: 'GET', headers: scenario.headers }
      const response =
        typeof send === 'string' ? await fetch(new URL(path, send), init) : await send(path, init)
      const text = await response.text()
      const fail = (what: string) => {
        throw new Error(`${scenario.name}: ${what} (status ${response.status}, body ${text.slice(0, 300)})`)
      }
      const e = scenario.expect
      if (response.status !== e.status) fail(`expected status ${e.status}`)
      let body: Record<string, unknown> = {}
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {}
      } catch {
        fail('body is not JSON')
      }
      if (e.code !== undefined && body.code !== e.code) fail(`expected code ${e.code}`)
      const challenge = response.headers.get('www-authenticate')
      if (e.challengeError === null) {
        if (!challenge || !/^Bearer\b/i.test(challenge) || /error=/.test(challenge)) {
          fail(`expected a Bearer challenge without error=, got ${challenge}`)
        }
      } else if (e.challengeError !== undefined) {
        if (!challenge?.includes(`error="${e.challengeError}"`)) {
          fail(`expected challenge error ${e.challengeError}, got ${challenge}`)
        }
      }
      if (e.challengeScope !== undefined && !challenge?.includes(`scope="${e.challengeScope}"`)) {
        fail(`expected challenge scope ${e.challengeScope}, got ${challenge}`)
      }
      if (e.retryAfter && !response.headers.get('retry-after')) fail('expected Retry-After')
      if (e.subject !== undefined && body.subject !== e.subject) fail(`expected subject ${e.subject}`)
      if (e.claim !== undefined) {
        const claims = body.claims as Record<string, unknown> | undefined
        if (!claims || claims[e.claim[0]] !== e.claim[1]) fail(`expected claim ${e.claim[0]}`)
      }
      if (e.anonymous !== undefined && body.anonymous !== e.anonymous) fail('expected anonymous')
      if (e.status >= 400 && text.includes('.ey')) fail('error body must not echo a token')
    },
    async close() {
      await Promise.all([main.close(), down.close()])
    },
  }
}
