/**
 * Property-based fuzzing of JWKS and discovery documents, served through the remote source's
 * injected `fetch`: arbitrary statuses, caching headers and bodies (mutated key sets, private
 * members, wrong types, any JSON, nested brackets, text), over a sequence of fetches with the
 * clock moving. Properties: `getKey` hands out only public keys present, unchanged, in the last
 * good document, and otherwise fails with `KeyNotFoundError` (401) or `KeysUnavailableError`
 * (503 with a whole-second Retry-After) — never another error; a genuine token verifies only
 * against its genuine key; discovery follows only an https (or loopback) `jwks_uri` of a
 * document whose `issuer` is exactly the configured one.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { AuthError, type KeysUnavailableError } from '../../src/errors.js'
import { isPrivateJWK } from '../../src/jwks/private-key.js'
import { createRemoteJWKS } from '../../src/jwks/remote.js'
import type { JWK } from '../../src/types.js'
import { createAuth } from '../../src/verify/create-auth.js'
import { b64u, FUZZ_TIMEOUT_MS, fuzzParams } from './fuzz-params.js'

vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS })

const T0 = Date.UTC(2026, 5, 1)
const ISSUER = 'https://idp.fuzz'
const JWKS_URI = 'https://idp.fuzz/keys'
const AUDIENCE = 'https://api.fuzz'

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const EC_JWK = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'es', alg: 'ES256', use: 'sig' } as JWK
const ED_JWK = { ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed', alg: 'EdDSA' } as JWK
const EC_PRIVATE = ec.privateKey.export({ format: 'jwk' }) as Record<string, unknown>

const TOKEN = (() => {
  const input = `${b64u(JSON.stringify({ alg: 'ES256', kid: 'es' }))}.${b64u(
    JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 's', exp: T0 / 1000 + 3600 }),
  )}`
  return `${input}.${b64u(sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }))}`
})()

// ---- Documents

const keyMember: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constant('kty'), fc.constantFrom('EC', 'RSA', 'OKP', 'oct', '', 'ec', 5, null)),
  fc.tuple(fc.constant('crv'), fc.constantFrom('P-256', 'P-384', 'Ed25519', 'X25519', 'secp256k1', 1)),
  fc.tuple(
    fc.constantFrom('x', 'y', 'n', 'e'),
    fc.oneof(fc.base64String({ maxLength: 60 }), fc.jsonValue({ maxDepth: 2 })),
  ),
  fc.tuple(fc.constant('kid'), fc.constantFrom('es', 'ed', 'other', '', 7, null, ['es'])),
  fc.tuple(fc.constant('alg'), fc.constantFrom('ES256', 'EdDSA', 'RS256', 'HS256', 'none', 3)),
  fc.tuple(fc.constant('use'), fc.constantFrom('sig', 'enc', '', 1)),
  fc.tuple(fc.constant('key_ops'), fc.constantFrom(['verify'], ['sign'], 'verify', [], [1])),
  // Private members: a key carrying one must never be used (RFC 7517 §9.2).
  fc.tuple(
    fc.constantFrom('d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'),
    fc.constantFrom(EC_PRIVATE.d, 'AAAA', '', 0),
  ),
  fc.tuple(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
)

const jwkArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>(EC_JWK, ED_JWK), weight: 3 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(EC_JWK, ED_JWK),
        fc.array(keyMember, { minLength: 1, maxLength: 3 }),
        fc.subarray(['kty', 'crv', 'x', 'y', 'kid', 'alg']),
      )
      .map(([base, set, drop]) => {
        const key: Record<string, unknown> = { ...base }
        for (const name of drop) delete key[name]
        for (const [name, value] of set) key[name] = value
        return key
      }),
    weight: 4,
  },
  fc.jsonValue({ maxDepth: 2 }),
)

const documentArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.array(jwkArb, { maxLength: 4 }).map((keys) => JSON.stringify({ keys })), weight: 6 },
  fc.jsonValue({ maxDepth: 3 }).map((keys) => JSON.stringify({ keys })),
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.integer({ min: 1, max: 200 }).map((n) => `{"keys":[${'['.repeat(n)}${']'.repeat(n)}]}`),
  fc.nat({ max: 60 }).map((cut) => JSON.stringify({ keys: [EC_JWK] }).slice(0, cut)),
  fc.constantFrom(
    `{"keys":[${JSON.stringify(EC_JWK)}],"keys":[]}`,
    `\uFEFF${JSON.stringify({ keys: [EC_JWK] })}`,
  ),
)

interface Answer {
  status: number
  body: string
  headers: Record<string, string>
  /** The fetch itself fails (reset, DNS, TLS). */
  throws: boolean
}

const answerArb: fc.Arbitrary<Answer> = fc.record({
  status: fc.oneof(
    { arbitrary: fc.constant(200), weight: 6 },
    fc.constantFrom(204, 301, 304, 400, 404, 429, 500, 502, 503),
  ),
  body: documentArb,
  headers: fc
    .record(
      {
        'cache-control': fc.constantFrom(
          'max-age=0',
          'max-age=-1',
          'max-age=99999999999999999999',
          'no-store',
          'max-age="60"',
          'max-age=abc, max-age=30',
          ',,=,',
        ),
        'retry-after': fc.constantFrom(
          '0',
          '1',
          '-5',
          '1e9',
          '99999999999999999999',
          'Fri, 31 Dec 9999 23:59:59 GMT',
          'Thu, 01 Jan 1970 00:00:00 GMT',
          'soon',
          '',
        ),
        etag: fc.constantFrom('"a"', 'W/"a"', '', '"\\"'),
        'content-length': fc.constantFrom('0', '5', 'abc', '-1', '99999999999'),
      },
      { requiredKeys: [] },
    )
    .map((h) => h as Record<string, string>),
  throws: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
})

function respond(answer: Answer): Response {
  if (answer.throws) throw new TypeError('fetch failed')
  const nullBody = answer.status === 204 || answer.status === 304
  return new Response(nullBody ? null : answer.body, { status: answer.status, headers: answer.headers })
}

/** The public keys of the last document a source could have adopted: 200 and a JWK Set shape. */
function adoptable(answer: Answer): Record<string, unknown>[] | undefined {
  if (answer.throws || answer.status !== 200) return undefined
  // Bodies are decoded as UTF-8, which drops a leading byte-order mark.
  const value = parseOrUndefined(answer.body.replace(/^\uFEFF/, ''))
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys))
    return undefined
  return (value as { keys: Record<string, unknown>[] }).keys
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function expectKeysError(error: unknown): AuthError {
  if (!AuthError.is(error)) throw error
  expect(['ERR_KEY_NOT_FOUND', 'ERR_KEYS_UNAVAILABLE']).toContain(error.code)
  if (error.code === 'ERR_KEYS_UNAVAILABLE') {
    const retryAfter = (error as KeysUnavailableError).retryAfter
    expect(error.status).toBe(503)
    expect(Number.isSafeInteger(retryAfter) && retryAfter >= 1).toBe(true)
  } else {
    expect(error.status).toBe(401)
  }
  return error
}

const stepArb = fc.record({
  answer: answerArb,
  advanceMs: fc.oneof(fc.constantFrom(0, 1000, 30_000, 600_000, 4_000_000), fc.nat({ max: 10_000_000 })),
  kid: fc.constantFrom<string | undefined>('es', 'ed', 'other', undefined),
  alg: fc.constantFrom('ES256', 'EdDSA', 'RS256'),
})

describe('JWKS documents', () => {
  it('getKey hands out only unchanged public keys of an adopted document, or fails with 401/503', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 5 }), async (steps) => {
        let now = T0
        let next: Answer = steps[0]!.answer
        const served: Answer[] = []
        let calls = 0
        const source = createRemoteJWKS({
          jwksUri: JWKS_URI,
          clock: () => now,
          fetch: async () => {
            calls += 1
            served.push(next)
            return respond(next)
          },
        })
        try {
          for (const step of steps) {
            next = step.answer
            now += step.advanceMs
            try {
              const key = await source.getKey({ kid: step.kid, alg: step.alg })
              expect(isPrivateJWK(key)).toBe(false)
              if (step.kid !== undefined) expect(key.kid).toBe(step.kid)
              // Exactly a key some adopted document published.
              const published = served.flatMap((answer) => adoptable(answer) ?? [])
              expect(published.some((candidate) => JSON.stringify(candidate) === JSON.stringify(key))).toBe(
                true,
              )
            } catch (error) {
              expectKeysError(error)
            }
            await source.idle()
          }
          // A fetch per lookup at most, plus one background refresh each: no amplification.
          expect(calls).toBeLessThanOrEqual(2 * steps.length)
          expect(source.unknownKids).toBeLessThanOrEqual(1000)
        } finally {
          source.close()
        }
      }),
      fuzzParams(250),
    )
  })

  it('a genuine token verifies only against its genuine key; otherwise 401 or 503, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(answerArb, async (answer) => {
        const auth = createAuth({
          issuer: ISSUER,
          audience: AUDIENCE,
          jwksUri: JWKS_URI,
          algorithms: ['ES256', 'EdDSA'],
          clock: () => T0,
          fetch: async () => respond(answer),
        })
        try {
          const result = await auth.authenticate({
            headers: { get: (name: string) => (name === 'authorization' ? `Bearer ${TOKEN}` : null) },
          })
          if (result.ok) {
            const genuine = (adoptable(answer) ?? []).some(
              (k) => k.kid === 'es' && k.x === EC_JWK.x && k.y === EC_JWK.y && k.crv === 'P-256',
            )
            expect(genuine).toBe(true)
          } else {
            expectKeysError(result.error)
          }
        } finally {
          auth.close()
        }
      }),
      fuzzParams(300),
    )
  })
})

describe('discovery documents', () => {
  const jwksUriArb = fc.oneof(
    fc.constantFrom<unknown>(
      JWKS_URI,
      'http://idp.fuzz/keys',
      'http://127.0.0.1:9/keys',
      'http://localhost/keys',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:application/json,{"keys":[]}',
      '/relative/keys',
      '',
      'https://evil.example/keys',
      'https://user:pass@idp.fuzz/keys',
      5,
      null,
      ['https://idp.fuzz/keys'],
    ),
    fc.webUrl(),
    fc.string({ maxLength: 30 }),
  )
  const metadataArb = fc.oneof(
    {
      arbitrary: fc
        .record(
          {
            issuer: fc.constantFrom<unknown>(
              ISSUER,
              `${ISSUER}/`,
              'https://evil.example',
              'https://IDP.fuzz',
              1,
              null,
            ),
            jwks_uri: jwksUriArb,
            extra: fc.jsonValue({ maxDepth: 2 }),
          },
          { requiredKeys: [] },
        )
        .map((doc) => JSON.stringify(doc)),
      weight: 5,
    },
    fc.json({ maxDepth: 2 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
  )
  const metadataAnswer = fc.record({
    status: fc.oneof({ arbitrary: fc.constant(200), weight: 5 }, fc.constantFrom(404, 500, 503, 301)),
    body: metadataArb,
  })

  it('follows only an https (or loopback http) jwks_uri of a document naming exactly our issuer', async () => {
    await fc.assert(
      fc.asyncProperty(metadataAnswer, metadataAnswer, async (openid, rfc8414) => {
        const requested: string[] = []
        const source = createRemoteJWKS({
          issuer: ISSUER,
          clock: () => T0,
          fetch: async (input) => {
            const url = String(input)
            requested.push(url)
            if (url.endsWith('/.well-known/openid-configuration'))
              return new Response(openid.body, { status: openid.status })
            if (url.endsWith('/.well-known/oauth-authorization-server'))
              return new Response(rfc8414.body, { status: rfc8414.status })
            return Response.json({ keys: [EC_JWK] })
          },
        })
        try {
          let found = false
          try {
            found = (await source.getKey({ kid: 'es', alg: 'ES256' })).kid === 'es'
          } catch (error) {
            expect(expectKeysError(error).code).toBe('ERR_KEYS_UNAVAILABLE')
          }
          const metadata = requested.filter((url) => url.includes('/.well-known/'))
          const followed = requested.filter((url) => !url.includes('/.well-known/'))
          expect(metadata.length).toBeLessThanOrEqual(2)
          expect(followed.length).toBeLessThanOrEqual(1)
          for (const url of followed) {
            const parsed = new URL(url)
            const secure =
              parsed.protocol === 'https:' ||
              (parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))
            expect(secure).toBe(true)
            // The document that named it vouched for our issuer, exactly.
            const named = (answer: { body: string }) =>
              (parseOrUndefined(answer.body) as { jwks_uri?: unknown } | null | undefined)?.jwks_uri === url
            const answered = named(openid) ? openid : rfc8414
            expect(named(answered)).toBe(true)
            expect((parseOrUndefined(answered.body) as { issuer?: unknown }).issuer).toBe(ISSUER)
          }
          expect(found).toBe(followed.length === 1)
        } finally {
          source.close()
        }
      }),
      fuzzParams(300),
    )
  })
})
