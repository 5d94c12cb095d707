// The checks both fixture apps (middleware.ts on the edge, proxy.ts on Node) must pass over HTTP.
import type { Principal } from '@keygate/core'
import type { AdapterKit } from '@keygate/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PRINCIPAL_HEADER, signPrincipal, verifyPrincipal } from '../../src/index.js'
import { buildApp, fixturePath, middlewareRuntime, type RunningApp, startApp } from './next-app.js'

export const SECRET = 'next-fixture-secret-0123456789abcdef-0123'
// `next build` of a fixture takes ~30 s alone and longer when both builds share 2 cores.
export const BUILD_TIMEOUT_MS = 240_000

/** What a fixture app enables beyond the shared checks. */
export interface FixtureFeatures {
  /** `experimental.authInterrupts` is on and the app serves /unguarded/admin (requireAuth with `interrupts`). */
  authInterrupts?: boolean
}

export function describeNextApp(
  fixture: string,
  runtime: 'edge' | 'nodejs',
  title: string,
  kit: AdapterKit,
  features: FixtureFeatures = {},
): void {
  describe(title, () => {
    const dir = fixturePath(fixture)
    let app: RunningApp | undefined
    const url = (path: string) => new URL(path, app!.url)
    const get = (path: string, headers: Record<string, string> = {}) => fetch(url(path), { headers })
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

    beforeAll(async () => {
      await buildApp(dir)
      app = await startApp(dir, {
        KEYGATE_AUTH_OPTIONS: JSON.stringify(kit.authOptions),
        KEYGATE_INTERNAL_SECRET: SECRET,
      })
    }, BUILD_TIMEOUT_MS)
    afterAll(async () => {
      await app?.close()
      await kit.close()
    })

    it(`the gate was built for the ${runtime} runtime`, async () => {
      expect(await middlewareRuntime(dir)).toBe(runtime)
    })

    describe('shared adapter scenarios', () => {
      for (const scenario of kit.scenarios) it(scenario.name, () => kit.run(scenario, app!.url))
    })

    it('public routes pass without a token and never see a client-sent identity header', async () => {
      const response = await get('/public/ping', { [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory') })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ public: true, sawPrincipalHeader: false })
    })

    it('the middleware forwards its own signed principal, bound to the token, without the token', async () => {
      const token = await kit.main.sign({ sub: 'alice', tenant: 'acme' })
      const response = await get('/forwarded', {
        ...bearer(token),
        [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory'),
      })
      const { header } = (await response.json()) as { header: string }
      for (const part of token.split('.')) expect(header).not.toContain(part)
      const principal = await verifyPrincipal(header, { secret: SECRET, token })
      expect(principal?.subject).toBe('alice')
      expect(principal?.claims.tenant).toBe('acme')
    })

    it('a spoofed identity header without a token is refused by the middleware', async () => {
      const response = await get('/protected', { [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory') })
      expect(response.status).toBe(401)
      expect((await response.json()).code).toBe('ERR_TOKEN_MISSING')
    })

    it('the CVE-2025-29927 subrequest header does not skip the gate', async () => {
      const subrequest = 'middleware:middleware:middleware:middleware:middleware'
      const headers = {
        'x-middleware-subrequest': subrequest,
        [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory'),
      }
      const response = await get('/protected', headers)
      expect(response.status).toBe(401)
    })

    describe('a route the middleware does not cover (withAuth is the only gate)', () => {
      it('refuses a forged identity header without a token', async () => {
        const response = await get('/unguarded', { [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory') })
        expect(response.status).toBe(401)
        expect((await response.json()).code).toBe('ERR_TOKEN_MISSING')
      })

      it('refuses a genuine-looking header signed with another secret, and verifies the token', async () => {
        const expired = await kit.main.sign({ sub: 'alice', iat: 1_000, exp: 2_000 })
        const headers = { ...bearer(expired), [PRINCIPAL_HEADER]: await forgedHeader(kit, 'alice', expired) }
        const response = await get('/unguarded', headers)
        expect(response.status).toBe(401)
        expect((await response.json()).code).toBe('ERR_TOKEN_EXPIRED')
      })

      it('the token, not the header, decides who the caller is', async () => {
        const bob = await kit.main.sign({ sub: 'bob', scope: 'read' })
        const headers = { ...bearer(bob), [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory', bob) }
        const response = await get('/unguarded', headers)
        expect(response.status).toBe(200)
        expect((await response.json()).subject).toBe('bob')
      })

      it('a genuine header replayed without its token is not trusted', async () => {
        const alice = await kit.main.sign({ sub: 'alice' })
        const response = await get('/unguarded', {
          [PRINCIPAL_HEADER]: await forgedHeader(kit, 'alice', alice, SECRET),
        })
        expect(response.status).toBe(401)
      })
    })

    it('requireAuth() redirects to loginUrl without a token and refuses a missing scope', async () => {
      const anonymous = await fetch(url('/account'), { redirect: 'manual' })
      expect(anonymous.status).toBe(307)
      expect(new URL(anonymous.headers.get('location') ?? '', app!.url).pathname).toBe('/login')
      const alice = await get('/account', bearer(await kit.main.sign({ sub: 'alice', scope: 'read write' })))
      expect(await alice.text()).toContain('account:alice')
      const bob = await get('/account', bearer(await kit.main.sign({ sub: 'bob', scope: 'read' })))
      expect(bob.status).toBe(500)
      expect(await bob.text()).not.toContain('account:bob')
    })

    it('getAuth(request) in a route handler gives the caller, with the configuration createKeygate bound', async () => {
      const response = await get('/whoami', bearer(await kit.main.sign({ sub: 'alice' })))
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ subject: 'alice' })
    })

    if (features.authInterrupts) {
      describe('requireAuth() with interrupts on a page no middleware covers', () => {
        const page = (headers: Record<string, string> = {}) => get('/unguarded/admin', headers)

        it('no token → 401 from unauthorized(), a forged identity header changes nothing', async () => {
          const response = await page({ [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory') })
          expect(response.status).toBe(401)
          expect(await response.text()).not.toContain('admin:')
        })

        it('a bad token → 401', async () => {
          const expired = await kit.main.sign({ sub: 'alice', iat: 1_000, exp: 2_000 })
          expect((await page(bearer(expired))).status).toBe(401)
        })

        it('missing scope → 403 from forbidden()', async () => {
          const response = await page(bearer(await kit.main.sign({ sub: 'bob', scope: 'read' })))
          expect(response.status).toBe(403)
          expect(await response.text()).not.toContain('admin:bob')
        })

        it('JWKS down → the error boundary (500), never 401 or 403', async () => {
          const response = await page(bearer(await kit.down.sign({ sub: 'carol' })))
          expect(response.status).toBe(500)
        })

        it('scope present → the page', async () => {
          const response = await page(bearer(await kit.main.sign({ sub: 'alice', scope: 'read write' })))
          expect(response.status).toBe(200)
          expect(await response.text()).toContain('admin:alice')
        })
      })
    }

    it('server components read the principal with auth()', async () => {
      const token = await kit.main.sign({ sub: 'alice' })
      expect(await (await get('/me', bearer(token))).text()).toContain('subject:alice')
      const anonymous = await get('/me', { [PRINCIPAL_HEADER]: await forgedHeader(kit, 'mallory') })
      expect(await anonymous.text()).toContain('anonymous')
    })

    // The fixture's sessions (test/fixtures/shared/sessions.ts): a real issuer inside `next start`.
    describe('browser sessions through next start', () => {
      const origin = 'https://app.keygate.test'
      const refreshAttributes = '; Path=/public/session; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict'
      const post = (path: string, headers: Record<string, string> = {}, body = '{}') =>
        fetch(url(path), {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json', ...headers },
          body,
        })
      const code = async (response: Response) => ((await response.json()) as { code?: string }).code

      it('login via startSessionAction, refresh, cross-site refusals, logout', async () => {
        const login = await post('/public/session-login', {}, JSON.stringify({ subject: 'alice' }))
        expect(login.status).toBe(200)
        const body = (await login.json()) as Record<string, unknown>
        expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type'])
        expect(body).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: 900 })
        // Set by Next.js's cookies() from core's attributes: Next.js writes SameSite in lower case
        // and adds an Expires computed from Max-Age (which takes precedence, RFC 6265bis §5.6.2).
        const [loginCookie, ...more] = login.headers.getSetCookie()
        expect(more).toEqual([])
        const [pair, ...attributes] = (loginCookie ?? '').split('; ')
        expect(pair).toMatch(/^__Secure-keygate-refresh=kgr_\w+$/)
        expect(attributes.filter((a) => a.startsWith('Expires='))).toHaveLength(1)
        expect(attributes.filter((a) => !a.startsWith('Expires=')).sort()).toEqual([
          'HttpOnly',
          'Max-Age=2592000',
          'Path=/public/session',
          'SameSite=strict',
          'Secure',
        ])

        const refreshed = await post('/public/session/refresh', { cookie: pair! })
        expect(refreshed.status).toBe(200)
        const [rotated] = refreshed.headers.getSetCookie()
        const next = rotated!.slice(0, rotated!.indexOf(';'))
        expect(rotated).toBe(`${next}${refreshAttributes}`)
        expect(next).not.toBe(pair)
        expect(Object.keys(await refreshed.json()).sort()).toEqual([
          'access_token',
          'expires_in',
          'scope',
          'token_type',
        ])

        const foreign = await post('/public/session/refresh', {
          cookie: next,
          origin: 'https://evil.keygate.test',
        })
        expect(foreign.status).toBe(403)
        expect(await code(foreign)).toBe('ERR_CROSS_SITE_REQUEST')
        const form = await post(
          '/public/session/refresh',
          { cookie: next, 'content-type': 'application/x-www-form-urlencoded' },
          'a=1',
        )
        expect(form.status).toBe(403)
        const get = await fetch(url('/public/session/refresh'), { headers: { origin, cookie: next } })
        expect(get.status).toBe(405)

        const out = await post('/public/session/logout', { cookie: next })
        expect(out.status).toBe(204)
        expect(out.headers.getSetCookie()).toEqual([
          '__Secure-keygate-refresh=; Path=/public/session; Max-Age=0; HttpOnly; Secure; SameSite=Strict',
        ])
        const after = await post('/public/session/refresh', { cookie: next })
        expect(after.status).toBe(400)
        expect(await code(after)).toBe('ERR_INVALID_GRANT')
      })
    })
  })
}

// An identity header as an attacker would make it: any subject, signed with a secret of their
// choosing (or, for replay checks, the real one), for a token of their choosing.
async function forgedHeader(
  kit: AdapterKit,
  subject: string,
  token = 'x.y.z',
  secret?: string,
): Promise<string> {
  const principal: Principal = {
    subject,
    issuer: kit.main.issuer,
    claims: {
      sub: subject,
      iss: kit.main.issuer,
      aud: kit.main.audience,
      exp: Math.floor(Date.now() / 1000) + 600,
    },
    header: { alg: 'RS256' },
    token,
    scopes: ['read', 'write'],
    permissions: [],
    groups: [],
    roles: [],
  }
  return signPrincipal(principal, { secret: secret ?? 'attacker-secret-0123456789abcdef-01234567' })
}
