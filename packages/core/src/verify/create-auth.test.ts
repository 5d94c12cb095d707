import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JWKSSource } from '../jwks/types.js'
import { createTestIssuer, type TestAlgorithm, type TestIssuer } from '../testing/test-issuer.js'
import type { JWTClaims } from '../types.js'
import { createAuth } from './create-auth.js'
import type { AuthOptions } from './types.js'

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')
const ALGORITHMS: TestAlgorithm[] = ['RS256', 'ES256', 'EdDSA', 'PS256', 'ES384']

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  return 'accepted'
}

function hs256(claims: JWTClaims, secret: string, header: Record<string, unknown> = {}): string {
  const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', ...header }))}.${b64(JSON.stringify(claims))}`
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`
}

let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ALGORITHMS })
  await issuer.listen()
})
afterAll(() => issuer.close())

describe('end to end over HTTP on 127.0.0.1', () => {
  it.each(ALGORITHMS)('%s: discovery, JWKS fetch, verification, principal', async (alg) => {
    const auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, algorithms: ALGORITHMS })
    const token = await issuer.sign({ sub: 'alice', scope: 'read write', permissions: ['p1'] }, { alg })
    const principal = await auth.verify(token)
    expect(principal).toMatchObject({
      subject: 'alice',
      issuer: issuer.issuer,
      token,
      scopes: ['read', 'write'],
      permissions: ['p1'],
    })
    expect(principal.header).toMatchObject({ alg, kid: issuer.keys.find((k) => k.alg === alg)!.kid })
    expect(principal.claims.aud).toBe(issuer.audience)
    auth.close()
  })

  it('jwksUri skips discovery; keys are fetched once and reused', async () => {
    const before = { ...issuer.counters }
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: issuer.jwksUri,
      algorithms: ALGORITHMS,
    })
    for (const alg of ALGORITHMS) await auth.verify(await issuer.sign({}, { alg }))
    await Promise.all(Array.from({ length: 50 }, async () => auth.verify(await issuer.sign())))
    expect(issuer.counters.discovery).toBe(before.discovery)
    expect(issuer.counters.jwks).toBe(before.jwks + 1)
    auth.close()
  })

  it('HS256 with an explicit secret', async () => {
    const secret = 'an-hmac-secret-of-at-least-32-bytes'
    const auth = createAuth({ issuer: 'https://hs.test', audience: 'api', secret, algorithms: ['HS256'] })
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: 'https://hs.test', aud: 'api', sub: 's', exp: now + 60 }
    expect((await auth.verify(hs256(claims, secret))).subject).toBe('s')
    expect(await codeOf(auth.verify(hs256(claims, `${secret}!`)))).toBe('ERR_SIGNATURE_INVALID')
    expect(await codeOf(auth.verify(hs256({ ...claims, aud: 'x' }, secret)))).toBe('ERR_AUDIENCE_INVALID')
    // An RS256 token to an HMAC-only issuer: the algorithm is not allowed.
    const rs = await createTestIssuer({ algorithms: ['RS256'], issuer: 'https://hs.test', audience: 'api' })
    expect(await codeOf(auth.verify(await rs.sign()))).toBe('ERR_ALGORITHM_NOT_ALLOWED')
  })

  it('a Uint8Array secret works the same', async () => {
    const secret = new Uint8Array(32).fill(7)
    const auth = createAuth({ issuer: 'https://hs.test', audience: 'api', secret, algorithms: ['HS256'] })
    const input = `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify({ iss: 'https://hs.test', aud: 'api', exp: 2e9 }))}`
    const token = `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`
    expect(await codeOf(auth.verify(token))).toBe('accepted')
  })
})

describe('many verifications at once', () => {
  it('interleaved tokens of different lengths and algorithms each get their own answer', async () => {
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      algorithms: ALGORITHMS,
    })
    const cases = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const alg = ALGORITHMS[i % ALGORITHMS.length]!
        const token = await issuer.sign({ sub: `user-${'x'.repeat(i)}` }, { alg })
        if (i % 3 !== 0) return { token, expected: `user-${'x'.repeat(i)}` }
        // Every third token has its signature's last byte flipped.
        const [h, p, sig] = token.split('.')
        const bytes = Buffer.from(sig!, 'base64url')
        bytes[bytes.length - 1]! ^= 1
        return { token: `${h}.${p}.${bytes.toString('base64url')}`, expected: 'ERR_SIGNATURE_INVALID' }
      }),
    )
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(
        cases.map(({ token }) =>
          auth.verify(token).then(
            (p) => p.subject,
            (e: { code: string }) => e.code,
          ),
        ),
      )
      expect(answers).toEqual(cases.map((c) => c.expected))
    }
  })
})

describe('issuer registry', () => {
  it('selects the issuer by the token’s iss and contacts only that one', async () => {
    const other = await createTestIssuer({ algorithms: ['ES256'], audience: 'https://orders.test' })
    await other.listen()
    try {
      const auth = createAuth({
        issuers: [
          { issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri },
          { issuer: other.issuer, audience: 'https://orders.test', algorithms: ['ES256'] },
        ],
      })
      const before = { ...issuer.counters }
      expect((await auth.verify(await other.sign({ sub: 'bob' }))).issuer).toBe(other.issuer)
      expect(issuer.counters).toEqual(before)
      expect(other.counters.jwks).toBe(1)
      expect((await auth.verify(await issuer.sign())).issuer).toBe(issuer.issuer)
      // Per-issuer policies: ES256 only for the second issuer, its own audience.
      expect(await codeOf(auth.verify(await other.sign({ aud: issuer.audience })))).toBe(
        'ERR_AUDIENCE_INVALID',
      )
      expect(await codeOf(auth.verify(await issuer.sign({ iss: 'https://unknown.test' })))).toBe(
        'ERR_ISSUER_UNTRUSTED',
      )
      auth.close()
    } finally {
      await other.close()
    }
  })

  it('audience: false is an explicit opt-out', async () => {
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: false,
      keys: issuer.jwks(),
      algorithms: ALGORITHMS,
    })
    expect(await codeOf(auth.verify(await issuer.sign({}, { omit: ['aud'] })))).toBe('accepted')
    // Opting out of the audience check does not make a malformed aud acceptable.
    expect(await codeOf(auth.verify(await issuer.sign({ aud: [1] as unknown as string[] })))).toBe(
      'ERR_CLAIM_INVALID',
    )
  })

  it('several audiences: any one of them', async () => {
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: ['a', issuer.audience],
      keys: issuer.jwks(),
      algorithms: ALGORITHMS,
    })
    expect(await codeOf(auth.verify(await issuer.sign()))).toBe('accepted')
    expect(await codeOf(auth.verify(await issuer.sign({ aud: 'a' })))).toBe('accepted')
    expect(await codeOf(auth.verify(await issuer.sign({ aud: 'b' })))).toBe('ERR_AUDIENCE_INVALID')
  })

  it('requireExp: false accepts a token without exp, but still rejects an expired one', async () => {
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      algorithms: ALGORITHMS,
      requireExp: false,
    })
    expect(await codeOf(auth.verify(await issuer.sign({}, { omit: ['exp'] })))).toBe('accepted')
    expect(await codeOf(auth.verify(await issuer.sign({}, { expiresIn: -3600 })))).toBe('ERR_TOKEN_EXPIRED')
  })

  it('requiredClaims and maxTokenAge, with an injected clock', async () => {
    let now = Date.now()
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      algorithms: ALGORITHMS,
      requiredClaims: ['jti'],
      maxTokenAge: '5m',
      clockTolerance: '10s',
      clock: () => now,
    })
    const token = await issuer.sign({ jti: 'j1' }, { expiresIn: 3600 })
    expect(await codeOf(auth.verify(await issuer.sign()))).toBe('ERR_CLAIM_INVALID')
    expect(await codeOf(auth.verify(token))).toBe('accepted')
    now += 5 * 60_000 + 9_000
    expect(await codeOf(auth.verify(token))).toBe('accepted')
    now += 2_000
    expect(await codeOf(auth.verify(token))).toBe('ERR_TOKEN_TOO_OLD')
    expect(
      await codeOf(auth.verify(await issuer.sign({ jti: 'j2' }, { omit: ['iat'], expiresIn: 3600 }))),
    ).toBe('ERR_CLAIM_INVALID')
    now += 3600_000
    expect(await codeOf(auth.verify(token))).toBe('ERR_TOKEN_EXPIRED')
  })

  it('the clock decides expiry, with the tolerance', async () => {
    const start = Date.now()
    let now = start
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      clock: () => now,
    })
    const token = await issuer.sign({}, { expiresIn: 60 })
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number
    now = exp * 1000 + 59_999
    expect(await codeOf(auth.verify(token))).toBe('accepted')
    now = exp * 1000 + 60_000
    expect(await codeOf(auth.verify(token))).toBe('ERR_TOKEN_EXPIRED')
  })

  it('a custom source is used as given, and its failures are 503s, not 401s', async () => {
    let calls = 0
    const source: JWKSSource = {
      async getKey() {
        calls++
        throw new Error('connection refused')
      },
      peek: () => undefined,
      reload: async () => {},
      close: () => {},
    }
    const auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, source })
    const error = await auth.verify(await issuer.sign()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_KEYS_UNAVAILABLE', status: 503 })
    expect(calls).toBe(1)
  })

  it('a jose error from a custom source maps to ours', async () => {
    const source: JWKSSource = {
      async getKey() {
        throw Object.assign(new Error('no applicable key found in the JSON Web Key Set'), {
          code: 'ERR_JWKS_NO_MATCHING_KEY',
        })
      },
      peek: () => undefined,
      reload: async () => {},
      close: () => {},
    }
    const auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, source })
    expect(await codeOf(auth.verify(await issuer.sign()))).toBe('ERR_KEY_NOT_FOUND')
  })

  it("a custom source's keyNow: undefined falls back to getKey, a throw is mapped like getKey's", async () => {
    const key = issuer.keys[0]!.publicJwk
    let asked = 0
    const source: JWKSSource = {
      getKey: async () => {
        asked++
        return key
      },
      keyNow: () => undefined,
      peek: () => [key],
      reload: async () => {},
      close: () => {},
    }
    const fallback = createAuth({ issuer: issuer.issuer, audience: issuer.audience, source })
    expect(await codeOf(fallback.verify(await issuer.sign()))).toBe('accepted')
    expect(asked).toBe(1)
    const throwing = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      source: {
        ...source,
        keyNow: () => {
          throw new Error('store bug')
        },
      },
    })
    // As getKey's unexpected errors: the source is unavailable (503), not a 401, and no crash.
    expect(await codeOf(throwing.verify(await issuer.sign()))).toBe('ERR_KEYS_UNAVAILABLE')
  })

  it('a custom source returning an unusable key gives KeyNotFound, not a crash', async () => {
    const keys = [
      { kty: 'RSA', kid: 'bad', n: 'AQAB', e: 'AQAB' },
      { kty: 'EC', kid: 'ec', crv: 'P-256', x: 'AA', y: 'AA' },
    ]
    const source: JWKSSource = {
      getKey: async ({ kid }) => keys.find((k) => k.kid === kid)!,
      peek: () => keys,
      reload: async () => {},
      close: () => {},
    }
    const auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, source })
    expect(await codeOf(auth.verify(await issuer.sign({}, { kid: 'bad' })))).toBe('ERR_KEY_NOT_FOUND')
    expect(await codeOf(auth.verify(await issuer.sign({}, { alg: 'ES256', kid: 'ec' })))).toBe(
      'ERR_KEY_NOT_FOUND',
    )
    // A key of the wrong type for the algorithm is refused even if a source hands it over.
    expect(await codeOf(auth.verify(await issuer.sign({}, { alg: 'RS256', kid: 'ec' })))).toBe(
      'ERR_KEY_NOT_FOUND',
    )
  })

  it('an RSA key below 2048 bits is refused', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256' }
    const auth = createAuth({ issuer: 'https://weak.test', audience: 'api', keys: { keys: [jwk as never] } })
    const input = `${b64('{"alg":"RS256","kid":"weak"}')}.${b64(JSON.stringify({ iss: 'https://weak.test', aud: 'api', exp: 2e9 }))}`
    const { sign } = await import('node:crypto')
    const token = `${input}.${b64(sign('sha256', Buffer.from(input), privateKey))}`
    expect(await codeOf(auth.verify(token))).toBe('ERR_KEY_NOT_FOUND')
  })
})

describe('configuration is checked once, at construction', () => {
  const base = (): AuthOptions => ({ issuer: 'https://i.test', audience: 'api', keys: issuer.jwks() })
  it.each<[string, () => AuthOptions]>([
    ['no issuer', () => ({ audience: 'api' })],
    ['empty issuers', () => ({ issuers: [] })],
    ['missing audience', () => ({ issuer: 'https://i.test', keys: issuer.jwks() })],
    ['empty audience', () => ({ ...base(), audience: '' })],
    ['empty audience list', () => ({ ...base(), audience: [] })],
    ['HS256 without a secret', () => ({ ...base(), algorithms: ['RS256', 'HS256'] })],
    [
      'a secret with asymmetric algorithms only',
      () => ({ issuer: 'https://i.test', audience: 'api', secret: 'x'.repeat(32) }),
    ],
    [
      'a secret too short for HS256',
      () => ({ issuer: 'https://i.test', audience: 'api', secret: 'short', algorithms: ['HS256'] }),
    ],
    [
      'a secret too short for HS512',
      () => ({ issuer: 'https://i.test', audience: 'api', secret: 'x'.repeat(40), algorithms: ['HS512'] }),
    ],
    ['alg none', () => ({ ...base(), algorithms: ['none' as never] })],
    ['an unknown algorithm', () => ({ ...base(), algorithms: ['RS1' as never] })],
    ['empty algorithms', () => ({ ...base(), algorithms: [] })],
    ['a bad clockTolerance', () => ({ ...base(), clockTolerance: '10 parsecs' })],
    ['a negative maxTokenAge', () => ({ ...base(), maxTokenAge: -1 })],
    ['keys and jwksUri together', () => ({ ...base(), jwksUri: 'https://i.test/jwks' })],
    ['a relative jwksUri', () => ({ issuer: 'https://i.test', audience: 'api', jwksUri: '/jwks' })],
    [
      'a private key in keys',
      () => ({ ...base(), keys: { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' } }),
    ],
    ['a symmetric key in keys', () => ({ ...base(), keys: { kty: 'oct', k: 'abc' } })],
    ['an empty key set', () => ({ ...base(), keys: { keys: [] } })],
    ['a key set that is not one', () => ({ ...base(), keys: { foo: 1 } as never })],
    ['a source that is not one', () => ({ issuer: 'https://i.test', audience: 'api', source: {} as never })],
    [
      'issuers and the shorthand together',
      () => ({ issuer: 'https://i.test', issuers: [{ issuer: 'a', audience: 'b' }] }),
    ],
    [
      'keys at the top level next to issuers',
      () => ({ keys: issuer.jwks(), issuers: [{ issuer: 'a', audience: 'b' }] }),
    ],
    [
      'the same issuer twice',
      () => ({
        issuers: [
          { issuer: 'a', audience: 'b', keys: issuer.jwks() },
          { issuer: 'a', audience: 'c', keys: issuer.jwks() },
        ],
      }),
    ],
    ['a bad typ', () => ({ ...base(), typ: '' })],
    ['bad requiredClaims', () => ({ ...base(), requiredClaims: [''] })],
    ['a bad maxTokenBytes', () => ({ ...base(), maxTokenBytes: 0 })],
    ['a bad tokenCache.max', () => ({ ...base(), tokenCache: { max: -1 } })],
    ['a non-function clock', () => ({ ...base(), clock: 5 as never })],
  ])('%s → ConfigurationError', (_name, options) => {
    expect(() => createAuth(options())).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION', status: 500 }),
    )
  })

  it('a good configuration constructs without any network request', () => {
    const before = { ...issuer.counters }
    const auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience })
    expect(issuer.counters).toEqual(before)
    auth.close()
  })
})
