/**
 * Property-based fuzzing of every issuer route through `issuer.handle(new Request(…))`, with
 * the memory store and the JWThenticator routes on: arbitrary methods, paths, content types,
 * Authorization values, forms, JSON bodies and raw bytes, built from genuine credentials (API
 * key, refresh tokens, access token, JWThenticator key and JWT, admin tokens) and mutations of
 * them. Properties: `handle` never throws and never answers 5xx; Keygate routes answer errors
 * as OAuth JSON with a code; `/auth/decide` and `/validate_request` answer only 200/401/403; a
 * route that grants anything (a token, a 200 from a check, an admin action) does so only when
 * the request carried a genuine credential; no submitted credential is echoed back.
 */
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { ADMIN_TOKEN, basic, setup } from '../../src/issue/test-fixtures.js'
import { FUZZ_TIMEOUT_MS, fuzzParams } from './fuzz-params.js'
import { applyMutation, mutation } from './token-mutations.js'

vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS })

const JW_ADMIN = 'jwthenticator-admin-token-0123456789abcdefghij'
const IDENTIFIER = '0b7b9c3e-5a0c-4a53-8a57-1d7f2c7f9a11'
const JW_KEY = 'a-caller-chosen-jwthenticator-key'

interface Genuine {
  keyId: string
  apiKey: string
  refreshToken: string
  accessToken: string
  userRefreshToken: string
  jwKey: string
  jwt: string
  jwRefresh: string
}

async function fixture() {
  const f = setup({ jwthenticator: { adminToken: JW_ADMIN } })
  const { id, key } = await f.issuer.apiKeys.create({
    subject: 'svc',
    name: 'n',
    permissions: ['read', 'write'],
  })
  const token = await (
    await f.post('/token', { grant_type: 'client_credentials' }, { authorization: basic(id, key) })
  ).json()
  const user = await f.issuer.createToken({ subject: 'user-1', permissions: ['read'], refresh: true })
  const json = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    f.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
  const registered = await json(
    '/register_key',
    { key: JW_KEY, identifier: IDENTIFIER },
    { authorization: `Bearer ${JW_ADMIN}` },
  )
  expect(registered.status).toBe(201)
  const jw = await (await json('/authenticate', { key: JW_KEY, identifier: IDENTIFIER })).json()
  const genuine: Genuine = {
    keyId: id,
    apiKey: key,
    refreshToken: token.refresh_token,
    accessToken: token.access_token,
    // createToken issues a refresh token only when asked; the client one stands in otherwise.
    userRefreshToken: user.refreshToken ?? token.refresh_token,
    jwKey: JW_KEY,
    jwt: jw.jwt,
    jwRefresh: jw.refresh_token,
  }
  return { f, genuine }
}

/** A credential slot: which genuine value, and how it is damaged (if at all). */
type Pick = {
  which: keyof Genuine | 'admin' | 'jwAdmin' | 'random'
  damage: 'none' | 'char' | 'mutation'
  index: number
  char: string
  random: string
}
const damageArb = fc.constantFrom<Pick['damage']>('none', 'none', 'char', 'mutation')
/** A pick that names `likely` most of the time (the credential the slot expects), anything else otherwise. */
const pickFor = (...likely: Pick['which'][]): fc.Arbitrary<Pick> =>
  fc.record({
    which: fc.oneof(
      { arbitrary: fc.constantFrom(...likely), weight: 3 },
      fc.constantFrom<Pick['which']>(
        'keyId',
        'apiKey',
        'refreshToken',
        'accessToken',
        'userRefreshToken',
        'jwKey',
        'jwt',
        'jwRefresh',
        'admin',
        'jwAdmin',
        'random',
      ),
    ),
    damage: damageArb,
    index: fc.nat(),
    char: fc.constantFrom('A', 'z', '0', '_', '.', ' ', '%', '+', '\u00e9'),
    random: fc.string({ maxLength: 40 }),
  })
const pickArb = pickFor('random')
/** What each field most likely carries. */
const FIELD_PICKS: Record<string, fc.Arbitrary<Pick>> = {
  client_id: pickFor('keyId'),
  client_secret: pickFor('apiKey'),
  refresh_token: pickFor('refreshToken', 'userRefreshToken', 'jwRefresh'),
  token: pickFor('accessToken', 'refreshToken', 'jwt'),
  key: pickFor('jwKey'),
  jwt: pickFor('jwt', 'accessToken'),
}
const mutationArb = mutation

interface Resolved {
  value: string
  genuine: boolean
}

function resolve(pick: Pick, g: Genuine, m: Parameters<typeof applyMutation>[1]): Resolved {
  if (pick.which === 'random') return { value: pick.random, genuine: false }
  const original = pick.which === 'admin' ? ADMIN_TOKEN : pick.which === 'jwAdmin' ? JW_ADMIN : g[pick.which]
  let value = original
  if (pick.damage === 'char') {
    const i = pick.index % value.length
    value = value.slice(0, i) + pick.char + value.slice(i + 1)
  } else if (pick.damage === 'mutation') {
    value = applyMutation(value, m, g.accessToken)
  }
  // The key id is public: it is never a credential on its own.
  return { value, genuine: value === original && pick.which !== 'keyId' }
}

const PATHS = [
  '/token',
  '/revoke',
  '/introspect',
  '/.well-known/jwks.json',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/admin/api-keys',
  '/admin/api-keys/KEYID',
  '/admin/api-keys/nope',
  '/admin/api-keys/',
  '/admin/signing-keys/rotate',
  '/auth/decide',
  '/auth/decide?permissions=read,write',
  '/',
  '/health',
  '/jwks',
  '/register_key',
  '/is_key_registered',
  '/authenticate',
  '/refresh',
  '/validate',
  '/validate_request',
  '/token/',
  '//token',
  '/TOKEN',
  '/token?grant_type=client_credentials',
  '/%2e%2e/token',
  '/admin/api-keys/..%2f..%2ftoken',
]

const FIELDS = [
  'grant_type',
  'client_id',
  'client_secret',
  'refresh_token',
  'scope',
  'token',
  'token_type_hint',
  'key',
  'identifier',
  'jwt',
  'subject',
  'name',
  'permissions',
]

function valueFor(name: string): fc.Arbitrary<Pick | string> {
  if (name === 'grant_type') return fc.constantFrom('client_credentials', 'refresh_token', 'password', '')
  if (name === 'identifier')
    return fc.constantFrom(IDENTIFIER, IDENTIFIER.toUpperCase(), `{${IDENTIFIER}}`, 'not-a-uuid')
  const likely = FIELD_PICKS[name]
  if (likely !== undefined) return likely
  return fc.oneof(
    pickArb,
    fc.constantFrom('read', 'read write', 'admin', '', 'access_token', 'refresh_token'),
  )
}

const requestArb = fc.record({
  method: fc.oneof(
    { arbitrary: fc.constant('POST'), weight: 4 },
    fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'FOO'),
  ),
  path: fc.oneof({ arbitrary: fc.constantFrom(...PATHS), weight: 6 }, fc.webPath()),
  contentType: fc.option(
    fc.oneof(
      { arbitrary: fc.constantFrom('application/x-www-form-urlencoded', 'application/json'), weight: 4 },
      fc.constantFrom(
        'APPLICATION/JSON; charset=utf-8',
        'application/x-www-form-urlencoded; charset=ISO-8859-1',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/jwt+json',
        ';;;',
        '',
      ),
    ),
    { nil: undefined },
  ),
  auth: fc.option(
    fc.oneof(
      fc.record({
        scheme: fc.constantFrom('Basic', 'Basic-id-only'),
        pick: pickFor('keyId'),
        secretPick: pickFor('apiKey'),
      }),
      fc.record({
        scheme: fc.constantFrom('Bearer', 'bearer', 'Token', ''),
        pick: pickFor('admin', 'jwAdmin', 'accessToken', 'jwt'),
        secretPick: pickArb,
      }),
    ),
    { nil: undefined },
  ),
  body: fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('fields' as const),
        fields: fc.array(
          fc.oneof(
            {
              arbitrary: fc
                .constantFrom(...FIELDS)
                .chain((name) => fc.tuple(fc.constant(name), valueFor(name))),
              weight: 5,
            },
            fc.tuple(fc.string({ maxLength: 6 }), valueFor('')),
          ),
          { maxLength: 5 },
        ),
        json: fc.boolean(),
        jsonOdd: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
      }),
      weight: 6,
    },
    fc.record({ kind: fc.constant('raw' as const), text: fc.string({ unit: 'binary', maxLength: 200 }) }),
    fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({
      kind: fc.constant('huge' as const),
      size: fc.constantFrom(16 * 1024, 16 * 1024 + 1, 100_000),
    }),
  ),
  contentLength: fc.option(fc.constantFrom('0', '1', '99999', 'abc', '-1'), { nil: undefined }),
  mutation: mutationArb,
})

/** Routes whose success grants something: only a genuine credential may get it. */
function grants(path: string, method: string, status: number, body: unknown): boolean {
  const route = path.split('?')[0]
  if (route === '/token' && status === 200) return true
  if (route === '/introspect' && status === 200) return true
  if (route?.startsWith('/admin/') && status >= 200 && status < 300) return true
  if (route === '/auth/decide' && status === 200) return true
  if (
    ['/validate', '/validate_request', '/authenticate', '/refresh', '/is_key_registered'].includes(route!) &&
    status === 200
  )
    return true
  if (route === '/register_key' && status === 201) return true
  void method
  void body
  return false
}

const JWTHENTICATOR = new Set([
  '/',
  '/health',
  '/jwks',
  '/register_key',
  '/is_key_registered',
  '/authenticate',
  '/refresh',
  '/validate',
  '/validate_request',
])

describe('issuer routes', () => {
  it('never a throw or a 5xx, the right error shape, and nothing granted without a genuine credential', async () => {
    const params = fuzzParams<[typeof requestArb extends fc.Arbitrary<infer R> ? R : never]>(300)
    let granted = 0
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const { f, genuine } = await fixture()
        const used: Resolved[] = []
        const take = (pick: Pick) => {
          const resolved = resolve(pick, genuine, r.mutation)
          used.push(resolved)
          return resolved.value
        }
        const headers = new Headers()
        if (r.contentType !== undefined) headers.set('content-type', r.contentType)
        if (r.contentLength !== undefined) headers.set('content-length', r.contentLength)
        try {
          if (r.auth) {
            const a = r.auth
            if (a.scheme === 'Basic') headers.set('authorization', basic(take(a.pick), take(a.secretPick)))
            else if (a.scheme === 'Basic-id-only') headers.set('authorization', `Basic ${btoa(take(a.pick))}`)
            else headers.set('authorization', `${a.scheme} ${take(a.pick)}`.trim())
          }
        } catch {
          // A value no HTTP client could send (not a ByteString): nothing to test.
          fc.pre(false)
        }
        let body: BodyInit | undefined
        const b = r.body
        if (b.kind === 'fields') {
          const entries = b.fields.map(
            ([name, value]) => [name, typeof value === 'string' ? value : take(value)] as const,
          )
          body = b.json
            ? JSON.stringify(
                b.jsonOdd !== undefined
                  ? { ...Object.fromEntries(entries), odd: b.jsonOdd }
                  : Object.fromEntries(entries),
              )
            : new URLSearchParams(entries as [string, string][]).toString()
        } else if (b.kind === 'raw') body = b.text
        else if (b.kind === 'bytes') body = b.bytes
        else body = 'a='.padEnd(b.size, 'x')
        const path = r.path.replace('KEYID', genuine.keyId)
        let request: Request
        try {
          request = new Request(`https://auth.example${path.startsWith('/') ? path : `/${path}`}`, {
            method: r.method,
            headers,
            ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { body }),
          })
        } catch {
          fc.pre(false)
          return
        }
        const response = await f.issuer.handle(request)
        expect(response.status).toBeLessThan(500)
        const route = pathOf(request.url)
        const text = await response.text()
        if (route === '/auth/decide' || route === '/validate_request')
          expect([200, 401, 403]).toContain(response.status)
        let parsed: unknown
        if (text !== '' && (response.headers.get('content-type') ?? '').includes('json'))
          parsed = JSON.parse(text)
        if (
          response.status >= 400 &&
          !JWTHENTICATOR.has(route) &&
          r.method !== 'HEAD' &&
          route !== '/auth/decide'
        ) {
          const error = parsed as { error?: unknown; code?: unknown }
          expect(typeof error?.error).toBe('string')
          expect(typeof error?.code).toBe('string')
        }
        if (grants(path, r.method, response.status, parsed)) {
          expect(used.some((u) => u.genuine)).toBe(true)
          granted += 1
        }
        // No submitted secret comes back (fresh tokens are new values; introspection returns claims).
        for (const u of used)
          if (u.value.length >= 20 && !u.value.includes('.')) expect(text).not.toContain(u.value)
      }),
      params,
    )
    // Grants are a few in a thousand requests (most requests are meant to be refused): with
    // raised runs, check that the generator still reaches them.
    if ((params.numRuns ?? 0) >= 2000) expect(granted).toBeGreaterThan(0)
  })
})

function pathOf(url: string): string {
  return new URL(url).pathname
}
