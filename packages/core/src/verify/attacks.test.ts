/**
 * RFC 8725 attacks against a real issuer on 127.0.0.1: every forged or malformed token is
 * rejected with the right code. Forged tokens carry valid signatures wherever the attack allows,
 * so each rejection is due to the check under test, not to a broken signature.
 */
import { createHmac, createPublicKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JWKSSource } from '../jwks/types.js'
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js'
import type { JWK, JWTClaims } from '../types.js'
import { createAuth } from './create-auth.js'
import type { Auth, AuthOptions } from './types.js'

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

let issuer: TestIssuer
let attacker: TestIssuer
let auth: Auth

async function signRaw(
  headerText: string,
  payloadText: string,
  signer: TestIssuer = issuer,
): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`
  const key = signer.keys.find((k) => k.alg === 'RS256')!.privateKey
  const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, new TextEncoder().encode(input))
  return `${input}.${b64(new Uint8Array(sig))}`
}

function claims(extra: JWTClaims = {}): JWTClaims {
  const now = Math.floor(Date.now() / 1000)
  return { iss: issuer.issuer, aud: issuer.audience, sub: 'user-1', iat: now, exp: now + 300, ...extra }
}

function header(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'RS256', kid: issuer.keys[0]!.kid, ...extra }
}

async function forge(h: Record<string, unknown>, c: JWTClaims, signer?: TestIssuer): Promise<string> {
  return signRaw(JSON.stringify(h), JSON.stringify(c), signer)
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  return 'accepted'
}

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256'] })
  attacker = await createTestIssuer({ algorithms: ['RS256'] })
  await issuer.listen()
  await attacker.listen()
  auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience })
  // Sanity: the forging helper makes tokens the verifier accepts.
  await auth.verify(await forge(header(), claims()))
})

afterAll(async () => {
  auth.close()
  await issuer.close()
  await attacker.close()
})

describe('pre-checks run before any key fetch', () => {
  it.each([
    [
      'expired',
      async () => forge(header(), claims({ exp: Math.floor(Date.now() / 1000) - 3600 })),
      'ERR_TOKEN_EXPIRED',
    ],
    [
      'wrong iss',
      async () => forge(header(), claims({ iss: 'https://evil.example' })),
      'ERR_ISSUER_UNTRUSTED',
    ],
    [
      'alg none',
      async () => `${b64('{"alg":"none"}')}.${b64(JSON.stringify(claims()))}.`,
      'ERR_TOKEN_MALFORMED',
    ],
    ['alg none signed', async () => forge(header({ alg: 'none' }), claims()), 'ERR_ALGORITHM_NOT_ALLOWED'],
    ['wrong aud', async () => forge(header(), claims({ aud: 'https://other.api' })), 'ERR_AUDIENCE_INVALID'],
    ['oversized', async () => forge(header(), claims({ pad: 'x'.repeat(9000) })), 'ERR_TOKEN_MALFORMED'],
  ])('%s: rejected with no JWKS or discovery request', async (_name, make, code) => {
    const token = await make()
    const before = { ...issuer.counters }
    const cold = createAuth({ issuer: issuer.issuer, audience: issuer.audience })
    expect(await codeOf(cold.verify(token))).toBe(code)
    expect(issuer.counters).toEqual(before)
    cold.close()
  })
})

describe('RFC 8725 §3.1: algorithm attacks', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s is never accepted', async (alg) => {
    const token = await forge(header({ alg }), claims())
    expect(await codeOf(auth.verify(token))).toBe('ERR_ALGORITHM_NOT_ALLOWED')
    // Unsigned, with an empty signature, as attackers send it.
    const unsigned = `${b64(JSON.stringify({ alg }))}.${b64(JSON.stringify(claims()))}.`
    expect(['ERR_ALGORITHM_NOT_ALLOWED', 'ERR_TOKEN_MALFORMED']).toContain(
      await codeOf(auth.verify(unsigned)),
    )
  })

  it('alg none is rejected even when an issuer lists every algorithm it can', async () => {
    const all = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'EdDSA'],
    })
    expect(await codeOf(all.verify(await forge(header({ alg: 'none' }), claims())))).toBe(
      'ERR_ALGORITHM_NOT_ALLOWED',
    )
  })

  it('HS256 signed with the RSA public key as the secret (HS/RS confusion) is rejected', async () => {
    const jwk = issuer.keys[0]!.publicJwk
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
    for (const secret of [pem, JSON.stringify(jwk), Buffer.from(jwk.n!, 'base64url')]) {
      const input = `${b64(JSON.stringify({ alg: 'HS256', kid: jwk.kid }))}.${b64(JSON.stringify(claims()))}`
      const token = `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`
      expect(await codeOf(auth.verify(token))).toBe('ERR_ALGORITHM_NOT_ALLOWED')
    }
  })

  it('with HS256 and a JWKS on one issuer, HMAC uses only the configured secret, never a JWKS key', async () => {
    const mixed = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: issuer.jwksUri,
      secret: 'a-configured-secret-of-32-bytes!',
      algorithms: ['RS256', 'HS256'],
    })
    const jwk = issuer.keys[0]!.publicJwk
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
    const input = `${b64(JSON.stringify({ alg: 'HS256', kid: jwk.kid }))}.${b64(JSON.stringify(claims()))}`
    const forged = `${input}.${b64(createHmac('sha256', pem).update(input).digest())}`
    expect(await codeOf(mixed.verify(forged))).toBe('ERR_SIGNATURE_INVALID')
    const genuine = `${input}.${b64(createHmac('sha256', 'a-configured-secret-of-32-bytes!').update(input).digest())}`
    expect(await codeOf(mixed.verify(genuine))).toBe('accepted')
    mixed.close()
  })

  it('an algorithm outside the allowlist is rejected', async () => {
    const es = await createTestIssuer({ algorithms: ['ES384'], issuer: issuer.issuer })
    expect(await codeOf(auth.verify(await es.sign()))).toBe('ERR_ALGORITHM_NOT_ALLOWED')
  })

  it('a token naming an RSA kid with an EC algorithm finds no key', async () => {
    const lax = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      algorithms: ['RS256', 'ES256'],
    })
    const token = await forge(header({ alg: 'ES256' }), claims())
    expect(await codeOf(lax.verify(token))).toBe('ERR_KEY_NOT_FOUND')
  })
})

describe('RFC 8725 §3.10: key-locating headers are ignored', () => {
  it('jku pointing at another issuer’s JWKS is never fetched nor trusted', async () => {
    const kid = attacker.keys[0]!.kid
    const token = await forge(header({ kid, jku: attacker.jwksUri }), claims(), attacker)
    expect(await codeOf(auth.verify(token))).toBe('ERR_KEY_NOT_FOUND')
    expect(attacker.counters.jwks).toBe(0)
    expect(attacker.counters.discovery).toBe(0)
  })

  it.each([
    ['jku', () => ({ jku: attacker.jwksUri })],
    ['x5u', () => ({ x5u: `${attacker.issuer}/cert.pem` })],
    ['jwk', () => ({ jwk: attacker.keys[0]!.publicJwk })],
    ['x5c', () => ({ x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] })],
  ])(
    '%s with the victim’s kid and the attacker’s signature fails the signature check',
    async (_name, extra) => {
      const token = await forge(header(extra()), claims(), attacker)
      expect(await codeOf(auth.verify(token))).toBe('ERR_SIGNATURE_INVALID')
      const kidless = { ...header(extra()) }
      delete kidless.kid
      expect(await codeOf(auth.verify(await forge(kidless, claims(), attacker)))).toBe(
        'ERR_SIGNATURE_INVALID',
      )
      expect(attacker.counters.jwks).toBe(0)
    },
  )

  it('a genuine token carrying a jku header still verifies against the configured keys only', async () => {
    const token = await forge(header({ jku: attacker.jwksUri }), claims())
    expect(await codeOf(auth.verify(token))).toBe('accepted')
    expect(attacker.counters.jwks).toBe(0)
  })
})

describe('claims', () => {
  const now = () => Math.floor(Date.now() / 1000)
  it.each<[string, () => JWTClaims, string]>([
    ['wrong iss', () => claims({ iss: `${issuer.issuer}/` }), 'ERR_ISSUER_UNTRUSTED'],
    ['missing iss', () => ({ ...claims(), iss: undefined }), 'ERR_ISSUER_UNTRUSTED'],
    ['iss not a string', () => claims({ iss: [issuer.issuer] as unknown as string }), 'ERR_CLAIM_INVALID'],
    ['iss a number', () => claims({ iss: 7 as unknown as string }), 'ERR_CLAIM_INVALID'],
    ['wrong aud', () => claims({ aud: 'https://other.api' }), 'ERR_AUDIENCE_INVALID'],
    ['missing aud', () => ({ ...claims(), aud: undefined }), 'ERR_AUDIENCE_INVALID'],
    ['empty aud array', () => claims({ aud: [] }), 'ERR_AUDIENCE_INVALID'],
    ['aud array of non-strings', () => claims({ aud: [1, 2] as unknown as string[] }), 'ERR_CLAIM_INVALID'],
    [
      'aud array holding ours and a non-string',
      () => claims({ aud: [issuer.audience, { x: 1 }] as unknown as string[] }),
      'ERR_CLAIM_INVALID',
    ],
    [
      'aud array holding a non-string before ours',
      () => claims({ aud: [null, issuer.audience] as unknown as string[] }),
      'ERR_CLAIM_INVALID',
    ],
    [
      'aud an object',
      () => claims({ aud: { aud: issuer.audience } as unknown as string }),
      'ERR_CLAIM_INVALID',
    ],
    ['aud a number', () => claims({ aud: 1 as unknown as string }), 'ERR_CLAIM_INVALID'],
    ['jti not a string', () => claims({ jti: 1 as unknown as string }), 'ERR_CLAIM_INVALID'],
    ['exp as a boolean', () => claims({ exp: true as unknown as number }), 'ERR_CLAIM_INVALID'],
    ['exp as an array', () => claims({ exp: [now() + 300] as unknown as number }), 'ERR_CLAIM_INVALID'],
    ['missing exp', () => ({ ...claims(), exp: undefined }), 'ERR_CLAIM_INVALID'],
    ['exp as a string', () => claims({ exp: String(now() + 300) as unknown as number }), 'ERR_CLAIM_INVALID'],
    ['exp in the past', () => claims({ exp: now() - 120 }), 'ERR_TOKEN_EXPIRED'],
    ['nbf in the future', () => claims({ nbf: now() + 600 }), 'ERR_TOKEN_NOT_YET_VALID'],
    ['nbf as a string', () => claims({ nbf: String(now()) as unknown as number }), 'ERR_CLAIM_INVALID'],
    ['iat in the future', () => claims({ iat: now() + 600 }), 'ERR_TOKEN_NOT_YET_VALID'],
    ['iat as a string', () => claims({ iat: String(now()) as unknown as number }), 'ERR_CLAIM_INVALID'],
    ['sub not a string', () => claims({ sub: 42 as unknown as string }), 'ERR_CLAIM_INVALID'],
  ])('%s', async (_name, make, code) => {
    const token = await signRaw(JSON.stringify(header()), JSON.stringify(make()))
    expect(await codeOf(auth.verify(token))).toBe(code)
  })

  it('aud arrays are accepted when one member matches', async () => {
    const token = await forge(header(), claims({ aud: ['https://other.api', issuer.audience] }))
    expect(await codeOf(auth.verify(token))).toBe('accepted')
  })

  it('the clock tolerance forgives small skew and no more', async () => {
    expect(
      await codeOf(auth.verify(await forge(header(), claims({ nbf: now() + 30, exp: now() - 30 })))),
    ).toBe('accepted')
    const strict = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      clockTolerance: 0,
    })
    expect(await codeOf(strict.verify(await forge(header(), claims({ nbf: now() + 30 }))))).toBe(
      'ERR_TOKEN_NOT_YET_VALID',
    )
  })
})

describe('format', () => {
  const token = async () => forge(header(), claims())
  const segments = async () => (await token()).split('.')

  it.each([
    ['padding', (s: string) => `${s}==`],
    ['a "+"', (s: string) => `+${s.slice(1)}`],
    ['a "/"', (s: string) => `/${s.slice(1)}`],
    ['whitespace', (s: string) => `${s.slice(0, 4)} ${s.slice(4)}`],
    ['a non-ASCII letter', (s: string) => `é${s.slice(1)}`],
  ])('a header segment with %s is malformed', async (_name, mutate) => {
    const [h, p, s] = await segments()
    expect(await codeOf(auth.verify(`${mutate(h!)}.${p}.${s}`))).toBe('ERR_TOKEN_MALFORMED')
    expect(await codeOf(auth.verify(`${h}.${p}.${mutate(s!)}`))).toBe('ERR_TOKEN_MALFORMED')
  })

  it('a signature with non-canonical trailing bits is malformed (it would decode to the same bytes)', async () => {
    const [h, p, s] = await segments()
    // 256 signature bytes → 342 characters: the last one carries 4 spare bits.
    expect(s!.length % 4).toBe(2)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(s!.at(-1)!)
    const twisted = `${s!.slice(0, -1)}${alphabet[last | 1]}`
    expect(Buffer.from(twisted, 'base64url')).toEqual(Buffer.from(s!, 'base64url'))
    expect(await codeOf(auth.verify(`${h}.${p}.${twisted}`))).toBe('ERR_TOKEN_MALFORMED')
  })

  it('a payload with non-canonical trailing bits is malformed', async () => {
    // Pick claims whose JSON length leaves spare bits in the last character.
    let c = claims()
    for (let pad = ''; JSON.stringify(c).length % 3 === 0; pad += 'x') c = claims({ pad })
    const t = await forge(header(), c)
    const [h, p, s] = t.split('.')
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twisted = `${p!.slice(0, -1)}${alphabet[alphabet.indexOf(p!.at(-1)!) | 1]}`
    expect(Buffer.from(twisted, 'base64url')).toEqual(Buffer.from(p!, 'base64url'))
    expect(await codeOf(auth.verify(`${h}.${twisted}.${s}`))).toBe('ERR_TOKEN_MALFORMED')
  })

  it.each([
    ['2 segments', (h: string, p: string, _s: string) => `${h}.${p}`],
    ['4 segments', (h: string, p: string, s: string) => `${h}.${p}.${s}.${s}`],
    ['5 segments (JWE)', (h: string, p: string, s: string) => `${h}.${p}.${s}.${s}.${s}`],
    ['1 segment', (h: string) => h],
    ['empty signature', (h: string, p: string) => `${h}.${p}.`],
    ['empty', () => ''],
  ])('%s is malformed', async (_name, build) => {
    const [h, p, s] = await segments()
    expect(await codeOf(auth.verify(build(h!, p!, s!)))).toBe('ERR_TOKEN_MALFORMED')
  })

  it.each([
    ['an array header', '["RS256"]'],
    ['a string header', '"RS256"'],
    ['a number header', '1'],
    ['null header', 'null'],
    ['invalid JSON', '{"alg":"RS256",}'],
    ['a header without alg', '{"kid":"x"}'],
    ['alg not a string', '{"alg":["RS256"]}'],
    ['a duplicate alg', '{"alg":"none","alg":"RS256"}'],
    ['a BOM', '\uFEFF{"alg":"RS256"}'],
  ])('%s is malformed', async (_name, headerText) => {
    expect(await codeOf(auth.verify(await signRaw(headerText, JSON.stringify(claims()))))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
  })

  it.each([
    ['an array payload', '[1]'],
    ['a string payload', '"claims"'],
  ])('%s is malformed', async (_name, payloadText) => {
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), payloadText)))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
  })

  it('duplicate claim names are malformed (jose would take the last one)', async () => {
    const c = JSON.stringify(claims())
    const dupSub = `${c.slice(0, -1)},"sub":"admin"}`
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), dupSub)))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
    const dupAud = `{"aud":"https://other.api",${c.slice(1)}`
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), dupAud)))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
    const nested = `${c.slice(0, -1)},"realm":{"roles":["user"],"roles":["admin"]}}`
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), nested)))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
    const escaped = `${c.slice(0, -1)},"s\\u0075b":"admin"}`
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), escaped)))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
    // The same member names in different objects are fine.
    const distinct = `${c.slice(0, -1)},"a":{"sub":"x"},"b":[{"sub":"y"}],"note":"\\"sub\\":"}`
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), distinct)))).toBe('accepted')
  })

  it('duplicate header members are malformed', async () => {
    const kid = issuer.keys[0]!.kid
    const dup = `{"alg":"RS256","kid":"${kid}","kid":"${kid}"}`
    expect(await codeOf(auth.verify(await signRaw(dup, JSON.stringify(claims()))))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
  })

  it('numbers that overflow to Infinity are malformed', async () => {
    const c = `${JSON.stringify(claims()).slice(0, -1)},"big":1e999}`
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), c)))).toBe('ERR_TOKEN_MALFORMED')
    const exp = JSON.stringify({ ...claims(), exp: 0 }).replace('"exp":0', '"exp":1e400')
    expect(await codeOf(auth.verify(await signRaw(JSON.stringify(header()), exp)))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
  })

  it('invalid UTF-8 in the payload is malformed', async () => {
    const input = `${b64(JSON.stringify(header()))}.${b64(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))}`
    const key = issuer.keys[0]!.privateKey
    const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, new TextEncoder().encode(input))
    expect(await codeOf(auth.verify(`${input}.${b64(new Uint8Array(sig))}`))).toBe('ERR_TOKEN_MALFORMED')
  })

  it('an oversized token is malformed, and the limit is configurable', async () => {
    const big = await forge(header(), claims({ pad: 'x'.repeat(9000) }))
    expect(big.length).toBeGreaterThan(8192)
    expect(await codeOf(auth.verify(big))).toBe('ERR_TOKEN_MALFORMED')
    const roomy = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      maxTokenBytes: 16_384,
    })
    expect(await codeOf(roomy.verify(big))).toBe('accepted')
    const tight = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      maxTokenBytes: 100,
    })
    expect(await codeOf(tight.verify(await token()))).toBe('ERR_TOKEN_MALFORMED')
  })

  it('the deepest nesting at the largest allowed size is malformed, never a stack overflow', async () => {
    // An unsigned token: the payload is parsed before any key is needed. Before the iterative
    // scan this overflowed the stack (RangeError) in the strict JSON checks.
    const maxTokenBytes = 4 * 1024 * 1024
    const roomy = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      maxTokenBytes,
    })
    const depth = Math.floor(((maxTokenBytes - 300) * 3) / 4 / 2) - 8
    const deep = `${b64(JSON.stringify(header()))}.${b64(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`)}.AAAA`
    expect(deep.length).toBeLessThanOrEqual(maxTokenBytes)
    expect(await codeOf(roomy.verify(deep))).toBe('ERR_TOKEN_MALFORMED')
    const deepHeader = `${b64(`{"alg":"RS256","x":${'{"a":'.repeat(depth / 4)}1${'}'.repeat(depth / 4)}}`)}.${b64('{}')}.AAAA`
    expect(await codeOf(roomy.verify(deepHeader))).toBe('ERR_TOKEN_MALFORMED')
    // Nesting within the limit is still accepted.
    const nested = JSON.stringify(claims({ deep: JSON.parse(`${'['.repeat(30)}1${']'.repeat(30)}`) }))
    expect(await codeOf(roomy.verify(await signRaw(JSON.stringify(header()), nested)))).toBe('accepted')
    roomy.close()
  })

  it('crit and b64 headers are rejected', async () => {
    const crit = await forge(header({ crit: ['exp'], exp: 1 }), claims())
    expect(await codeOf(auth.verify(crit))).toBe('ERR_TOKEN_MALFORMED')
    const b64false = await forge(header({ b64: false, crit: ['b64'] }), claims())
    expect(await codeOf(auth.verify(b64false))).toBe('ERR_TOKEN_MALFORMED')
    const b64only = await forge(header({ b64: false }), claims())
    expect(await codeOf(auth.verify(b64only))).toBe('ERR_TOKEN_MALFORMED')
  })

  it('a non-string kid is malformed', async () => {
    expect(await codeOf(auth.verify(await forge(header({ kid: 7 }), claims())))).toBe('ERR_TOKEN_MALFORMED')
  })

  it('a non-string input is malformed', async () => {
    expect(await codeOf(auth.verify(undefined as unknown as string))).toBe('ERR_TOKEN_MALFORMED')
  })
})

describe('signatures and keys', () => {
  it('a tampered payload fails the signature check', async () => {
    const [h, , s] = (await forge(header(), claims())).split('.')
    const p = b64(JSON.stringify(claims({ sub: 'admin' })))
    expect(await codeOf(auth.verify(`${h}.${p}.${s}`))).toBe('ERR_SIGNATURE_INVALID')
  })

  it('a tampered header fails the signature check', async () => {
    const [, p, s] = (await forge(header(), claims())).split('.')
    const h = b64(JSON.stringify(header({ typ: 'JWT' })))
    expect(await codeOf(auth.verify(`${h}.${p}.${s}`))).toBe('ERR_SIGNATURE_INVALID')
  })

  it('a custom key source that hands out a private JWK is never used to verify', async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])
    const jwk = { ...(await crypto.subtle.exportKey('jwk', privateKey)), kid: 'leaked', alg: 'ES256' } as JWK
    const input = `${b64(JSON.stringify({ alg: 'ES256', kid: 'leaked' }))}.${b64(JSON.stringify(claims()))}`
    const sig = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      privateKey,
      new TextEncoder().encode(input),
    )
    const source: JWKSSource = {
      getKey: async () => jwk,
      peek: () => [jwk],
      reload: async () => {},
      close: () => {},
    }
    const leaky = createAuth({ issuer: issuer.issuer, audience: issuer.audience, source })
    expect(await codeOf(leaky.verify(`${input}.${b64(new Uint8Array(sig))}`))).toBe('ERR_KEY_NOT_FOUND')
    const { d: _d, key_ops: _ops, ext: _ext, ...publicPart } = jwk as JWK & { ext?: boolean }
    const fixed = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      source: { ...source, getKey: async () => publicPart as JWK },
    })
    expect(await codeOf(fixed.verify(`${input}.${b64(new Uint8Array(sig))}`))).toBe('accepted')
    // The same through the synchronous hot path: a private key from keyNow is refused too.
    const leakyNow = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      source: { ...source, getKey: async () => publicPart as JWK, keyNow: () => jwk },
    })
    expect(await codeOf(leakyNow.verify(`${input}.${b64(new Uint8Array(sig))}`))).toBe('ERR_KEY_NOT_FOUND')
  })

  it('a truncated signature fails', async () => {
    const [h, p, s] = (await forge(header(), claims())).split('.')
    const short = b64(Buffer.from(s!, 'base64url').subarray(0, 253))
    expect(await codeOf(auth.verify(`${h}.${p}.${short}`))).toBe('ERR_SIGNATURE_INVALID')
  })

  it('an unknown kid finds no key', async () => {
    expect(await codeOf(auth.verify(await forge(header({ kid: 'nope' }), claims())))).toBe(
      'ERR_KEY_NOT_FOUND',
    )
  })

  it('an ECDSA signature in DER form or of the wrong length fails', async () => {
    const es = await createTestIssuer({ algorithms: ['ES256'] })
    const esAuth = createAuth({ issuer: es.issuer, audience: es.audience, keys: es.jwks() })
    const [h, p, s] = (await es.sign()).split('.')
    const raw = Buffer.from(s!, 'base64url')
    const int = (b: Buffer) => {
      let v = b
      while (v.length > 1 && v[0] === 0 && v[1]! < 0x80) v = v.subarray(1)
      return v[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v
    }
    const r = int(raw.subarray(0, 32))
    const sPart = int(raw.subarray(32))
    const body = Buffer.concat([Buffer.from([2, r.length]), r, Buffer.from([2, sPart.length]), sPart])
    const der = Buffer.concat([Buffer.from([0x30, body.length]), body])
    expect(await codeOf(esAuth.verify(`${h}.${p}.${b64(der)}`))).toBe('ERR_SIGNATURE_INVALID')
    expect(await codeOf(esAuth.verify(`${h}.${p}.${b64(raw.subarray(0, 63))}`))).toBe('ERR_SIGNATURE_INVALID')
    expect(await codeOf(esAuth.verify(`${h}.${p}.${s}`))).toBe('accepted')
  })
})

describe('typ (RFC 8725 §3.11, RFC 9068 §4)', () => {
  const options = (): AuthOptions => ({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keys: issuer.jwks(),
    typ: 'at+jwt',
  })
  it.each([
    ['at+jwt', 'accepted'],
    ['AT+JWT', 'accepted'],
    ['application/at+jwt', 'accepted'],
    ['Application/AT+JWT', 'accepted'],
    ['JWT', 'ERR_TYPE_INVALID'],
    ['text/at+jwt', 'ERR_TYPE_INVALID'],
    ['at+jwt ', 'ERR_TYPE_INVALID'],
  ])('typ %s → %s', async (typ, expected) => {
    const typed = createAuth(options())
    expect(await codeOf(typed.verify(await forge(header({ typ }), claims())))).toBe(expected)
  })

  it('a missing typ is rejected when one is required', async () => {
    expect(await codeOf(createAuth(options()).verify(await forge(header(), claims())))).toBe(
      'ERR_TYPE_INVALID',
    )
  })

  it.each([
    [undefined, 'accepted'],
    ['JWT', 'accepted'],
    ['jwt', 'accepted'],
    ['application/JWT', 'accepted'],
    ['at+jwt', 'accepted'],
    ['logout+jwt', 'ERR_TYPE_INVALID'],
    ['secevent+jwt', 'ERR_TYPE_INVALID'],
    ['dpop+jwt', 'ERR_TYPE_INVALID'],
    ['id_token', 'ERR_TYPE_INVALID'],
    ['token-introspection+jwt', 'ERR_TYPE_INVALID'],
  ])('by default, typ %s → %s (other kinds of JWT are not access tokens)', async (typ, expected) => {
    expect(await codeOf(auth.verify(await forge(header(typ === undefined ? {} : { typ }), claims())))).toBe(
      expected,
    )
  })

  it('a list widens or narrows the accepted types; null accepts untyped tokens; false checks nothing', async () => {
    const widened = createAuth({ ...options(), typ: [null, 'JWT', 'at+jwt', 'secevent+jwt'] })
    expect(await codeOf(widened.verify(await forge(header({ typ: 'secevent+jwt' }), claims())))).toBe(
      'accepted',
    )
    expect(await codeOf(widened.verify(await forge(header(), claims())))).toBe('accepted')
    expect(await codeOf(widened.verify(await forge(header({ typ: 'dpop+jwt' }), claims())))).toBe(
      'ERR_TYPE_INVALID',
    )
    const typedOnly = createAuth({ ...options(), typ: ['at+jwt', 'JWT'] })
    expect(await codeOf(typedOnly.verify(await forge(header(), claims())))).toBe('ERR_TYPE_INVALID')
    const unchecked = createAuth({ ...options(), typ: false })
    expect(await codeOf(unchecked.verify(await forge(header({ typ: 'logout+jwt' }), claims())))).toBe(
      'accepted',
    )
    expect(await codeOf(unchecked.verify(await forge(header({ typ: 7 }), claims())))).toBe(
      'ERR_TOKEN_MALFORMED',
    )
  })

  it.each([[''], [[]], [[1]], [['']], [true]])('rejects typ %j at construction', (typ) => {
    expect(() => createAuth({ ...options(), typ: typ as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })
})
