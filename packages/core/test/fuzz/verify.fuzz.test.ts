/**
 * Property-based fuzzing of compact JWT parsing and verification (`createAuth`): mutations of
 * validly signed tokens, tokens signed over arbitrary headers and claim sets (checked against an
 * independent oracle of the rules), and arbitrary text. Properties: `verify` rejects with a
 * Keygate error (never another throw), `authenticate` never throws and answers 400/401 (keys
 * are local here, so never 503), and nothing is accepted that is not a genuine signature over
 * exactly the bytes received. Tokens are signed with node:crypto directly, not with jose, so a
 * bug shared by the signer and the verifier cannot hide.
 */
import { constants, createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { AuthError } from '../../src/errors.js'
import { extractBearerToken } from '../../src/http/bearer.js'
import type { JWK } from '../../src/types.js'
import { createAuth } from '../../src/verify/create-auth.js'
import { b64u, FUZZ_TIMEOUT_MS, fuzzParams } from './fuzz-params.js'
import { applyMutation, claimMember, headerMember, mutation } from './token-mutations.js'

vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS })

const ISSUER = 'https://issuer.fuzz'
const HMAC_ISSUER = 'https://hmac.fuzz'
const AUDIENCE = 'https://api.fuzz'
const NOW = Date.UTC(2026, 5, 1)
const NOW_S = NOW / 1000
const TOLERANCE_S = 60
/** createAuth's default `maxTokenBytes`. */
const MAX_TOKEN_BYTES = 8192
const SECRET = 'a-configured-hmac-secret-of-32-bytes!!'

type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256'
interface SigningKey {
  alg: Alg
  kid: string
  key: KeyObject | string
  jwk?: JWK
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const jwkOf = (key: KeyObject, kid: string, alg: Alg): JWK =>
  ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' }) as JWK

const KEYS: SigningKey[] = [
  { alg: 'RS256', kid: 'rs', key: rsa.privateKey, jwk: jwkOf(rsa.publicKey, 'rs', 'RS256') },
  { alg: 'PS256', kid: 'ps', key: rsa.privateKey, jwk: jwkOf(rsa.publicKey, 'ps', 'PS256') },
  { alg: 'ES256', kid: 'es', key: ec.privateKey, jwk: jwkOf(ec.publicKey, 'es', 'ES256') },
  { alg: 'EdDSA', kid: 'ed', key: ed.privateKey, jwk: jwkOf(ed.publicKey, 'ed', 'EdDSA') },
  { alg: 'HS256', kid: 'hs', key: SECRET },
]
// An attacker's keys: the same kids, not published. Signing with them must never verify.
const attacker = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
}

function signature(alg: string, key: KeyObject | string, data: Buffer): Buffer {
  if (typeof key === 'string') return createHmac('sha256', key).update(data).digest()
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
    case 'PS256':
      return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    case 'EdDSA':
      return sign(null, data, key)
    default:
      return sign('sha256', data, key)
  }
}

/** Signs `header.claims` exactly as serialized here: the signature is genuine for these bytes. */
function signRaw(headerJSON: string, claimsJSON: string, alg: string, key: KeyObject | string): string {
  const input = `${b64u(headerJSON)}.${b64u(claimsJSON)}`
  return `${input}.${b64u(signature(alg, key, Buffer.from(input, 'latin1')))}`
}

const baseClaims = (iss: string) => ({
  iss,
  aud: AUDIENCE,
  sub: 'user-1',
  iat: NOW_S - 10,
  exp: NOW_S + 300,
  jti: 'jti-1',
})

function genuine(key: SigningKey): string {
  const iss = key.alg === 'HS256' ? HMAC_ISSUER : ISSUER
  return signRaw(
    JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }),
    JSON.stringify(baseClaims(iss)),
    key.alg,
    key.key,
  )
}

const GENUINE = KEYS.map(genuine)

const auth = createAuth({
  issuers: [
    {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { keys: KEYS.flatMap((k) => (k.jwk ? [k.jwk] : [])) },
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    { issuer: HMAC_ISSUER, audience: AUDIENCE, secret: SECRET, algorithms: ['HS256'] },
  ],
  clock: () => NOW,
})

const INVALID_TOKEN_CODES = new Set([
  'ERR_TOKEN_MALFORMED',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_TOKEN_TOO_OLD',
  'ERR_ALGORITHM_NOT_ALLOWED',
  'ERR_ISSUER_UNTRUSTED',
  'ERR_AUDIENCE_INVALID',
  'ERR_TYPE_INVALID',
  'ERR_CLAIM_INVALID',
  'ERR_KEY_NOT_FOUND',
  'ERR_SIGNATURE_INVALID',
])

/** `verify` must refuse with a 401 Keygate error; anything else (a TypeError, a RangeError) is a bug. */
async function refusal(token: string): Promise<AuthError> {
  try {
    await auth.verify(token)
  } catch (error) {
    if (!AuthError.is(error)) throw error
    expect(error.status).toBe(401)
    expect(INVALID_TOKEN_CODES).toContain(error.code)
    // Errors never carry the token (DESIGN.md): a log line must not leak a credential.
    if (token.length > 16) expect(error.message).not.toContain(token)
    return error
  }
  throw new Error('accepted a token that is not a genuine signature over its bytes')
}

/** A request with any `Authorization` value, even one `Headers` would refuse to hold. */
const requestWith = (authorization: string | null, url = 'https://api.fuzz/') => ({
  url,
  headers: { get: (name: string) => (name.toLowerCase() === 'authorization' ? authorization : null) },
})

/** `authenticate` never throws for a client's input, and answers only 400 or 401. */
async function authenticateRefuses(authorization: string | null): Promise<number> {
  const result = await auth.authenticate(requestWith(authorization))
  expect(result.ok).toBe(false)
  if (result.ok) return 200
  expect([400, 401]).toContain(result.error.status)
  return result.error.status
}

describe('verify: mutations of validly signed tokens', () => {
  it('every genuine token verifies (the properties below start from accepted tokens)', async () => {
    for (const token of GENUINE) expect((await auth.verify(token)).subject).toBe('user-1')
  })

  it('one to three mutations of a genuine token: refused with a 401 code, never a throw of another kind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: GENUINE.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: GENUINE.length - 1 }),
        async (which, mutations, donorIndex) => {
          const original = GENUINE[which]!
          const donor = GENUINE[donorIndex]!
          const mutated = mutations.reduce((token, m) => applyMutation(token, m, donor), original)
          fc.pre(!GENUINE.includes(mutated))
          await refusal(mutated)
          await authenticateRefuses(`Bearer ${mutated}`)
        },
      ),
      fuzzParams(400),
    )
  })

  it('tokens signed by an attacker’s key under a published kid, or HMAC over a public key, are refused', async () => {
    const publicPEM = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string
    const publicJWK = JSON.stringify(KEYS[0]!.jwk)
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          { alg: 'RS256', kid: 'rs', key: attacker.rsa as KeyObject | string },
          { alg: 'PS256', kid: 'ps', key: attacker.rsa },
          { alg: 'ES256', kid: 'es', key: attacker.ec },
          // HS/RS confusion (RFC 8725 §2.1): the public key as an HMAC secret.
          { alg: 'HS256', kid: 'rs', key: publicPEM },
          { alg: 'HS256', kid: 'hs', key: publicJWK },
          { alg: 'HS256', kid: 'hs', key: '' },
        ),
        fc.constantFrom(ISSUER, HMAC_ISSUER),
        fc.array(claimMember, { maxLength: 2 }),
        async (forger, iss, extra) => {
          const claims = { ...baseClaims(iss), ...Object.fromEntries(extra) }
          const token = signRaw(
            JSON.stringify({ alg: forger.alg, kid: forger.kid }),
            JSON.stringify(claims),
            forger.alg,
            forger.key,
          )
          await refusal(token)
        },
      ),
      fuzzParams(150),
    )
  })
})

// ---- An independent statement of the rules, for tokens genuinely signed over arbitrary content.

const isString = (v: unknown): v is string => typeof v === 'string'
const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function typAccepted(typ: unknown): boolean {
  if (typ === undefined) return true
  if (typeof typ !== 'string') return false
  const lower = typ.toLowerCase()
  const bare = lower.startsWith('application/') ? lower.slice(12) : lower
  return bare === 'jwt' || bare === 'at+jwt'
}

/** Whether the rules accept a genuinely signed token with this header and claims. */
function shouldAccept(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: SigningKey,
): boolean {
  const iss = key.alg === 'HS256' ? HMAC_ISSUER : ISSUER
  if (claims.iss !== iss) return false
  if (header.alg !== key.alg) return false
  if (header.crit !== undefined || header.b64 !== undefined) return false
  // A JWKS key is found by kid (and must fit the algorithm); a secret ignores the kid.
  if (header.kid !== undefined && !isString(header.kid)) return false
  if (key.alg !== 'HS256' && header.kid !== undefined && header.kid !== key.kid) return false
  if (!typAccepted(header.typ)) return false
  const { aud, exp, nbf, iat, sub, jti } = claims
  if (!(aud === AUDIENCE || (Array.isArray(aud) && aud.every(isString) && aud.includes(AUDIENCE))))
    return false
  if (!isNumericDate(exp) || !(NOW < exp * 1000 + TOLERANCE_S * 1000)) return false
  for (const date of [nbf, iat]) {
    if (date === undefined) continue
    if (!isNumericDate(date) || date * 1000 > NOW + TOLERANCE_S * 1000) return false
  }
  if (sub !== undefined && !isString(sub)) return false
  if (jti !== undefined && !isString(jti)) return false
  return true
}

describe('verify: genuine signatures over arbitrary headers and claims', () => {
  it('accepted exactly when an independent reading of the rules accepts; refusals are 401s', async () => {
    const params = fuzzParams<[SigningKey, [string, unknown][], [string, unknown][], string[], boolean]>(300)
    let acceptedRuns = 0
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...KEYS),
        fc.array(headerMember, { maxLength: 3 }),
        fc.array(claimMember, { maxLength: 4 }),
        fc.subarray(['iss', 'aud', 'exp', 'sub', 'iat', 'jti']),
        fc.boolean(),
        async (key, headerExtra, claimExtra, drop, keepKid) => {
          const header: Record<string, unknown> = { alg: key.alg, ...(keepKid ? { kid: key.kid } : {}) }
          for (const [name, value] of headerExtra) header[name] = value
          const claims: Record<string, unknown> = baseClaims(key.alg === 'HS256' ? HMAC_ISSUER : ISSUER)
          for (const name of drop) delete claims[name]
          for (const [name, value] of claimExtra) claims[name] = value
          // Signed with the key's algorithm whatever the header now names: a header naming another
          // (or no string) alg is a genuine signature the rules must still refuse.
          const token = signRaw(JSON.stringify(header), JSON.stringify(claims), key.alg, key.key)
          const expected = token.length <= MAX_TOKEN_BYTES && shouldAccept(header, claims, key)
          let accepted = false
          try {
            const principal = await auth.verify(token)
            accepted = true
            acceptedRuns += 1
            expect(principal.claims).toEqual(JSON.parse(JSON.stringify(claims)))
          } catch (error) {
            if (!AuthError.is(error)) throw error
            expect(error.status).toBe(401)
            expect(INVALID_TOKEN_CODES).toContain(error.code)
          }
          expect(accepted).toBe(expected)
        },
      ),
      params,
    )
    // Not vacuous: a few percent of the generated tokens are valid ones (none when runs are few).
    if ((params.numRuns ?? 0) >= 200) expect(acceptedRuns).toBeGreaterThan(0)
  })
})

describe('verify and authenticate: arbitrary text', () => {
  const segment = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_'.split('')), maxLength: 40 })
  const tokenLike = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
    fc.array(segment, { maxLength: 6 }).map((parts) => parts.join('.')),
    // Structured but unsigned: any JSON as header and payload.
    fc
      .tuple(fc.json({ maxDepth: 3 }), fc.json({ maxDepth: 3 }), segment)
      .map(([h, p, s]) => `${b64u(h)}.${b64u(p)}.${s}`),
  )

  it('verify refuses with a 401 code; authenticate answers 400/401 and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(tokenLike, async (text) => {
        fc.pre(!GENUINE.includes(text))
        await refusal(text)
        await authenticateRefuses(`Bearer ${text}`)
      }),
      fuzzParams(300),
    )
  })
})

describe('bearer extraction (RFC 6750 §2.1)', () => {
  const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
  const piece = fc.oneof(
    fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearerx', 'Bearer,', 'Digest', ''),
    fc.constantFrom(' ', '  ', '\t', ' \t ', '', ',', ', ', '=', '==', '\u00a0', '\r\n'),
    fc.constantFrom(...GENUINE),
    fc.string({ unit: fc.constantFrom(...'Az09-._~+/=, '.split('')), maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
  )
  const header = fc.oneof(
    fc.array(piece, { maxLength: 6 }).map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength: 80 }),
  )
  const url = fc.oneof(
    fc.constant('https://api.fuzz/'),
    fc
      .array(fc.tuple(fc.constantFrom('access_token', 'x', 'access_token[]'), fc.string({ maxLength: 12 })), {
        maxLength: 3,
      })
      .map((params) => `https://api.fuzz/?${new URLSearchParams(params).toString()}`),
    fc.string({ maxLength: 30 }),
  )

  it('returns nothing or one b64token, or throws InvalidRequestError (400); never another error', () => {
    fc.assert(
      fc.property(fc.option(header, { nil: null }), url, fc.boolean(), (authorization, href, allowQuery) => {
        let token: string | undefined
        try {
          token = extractBearerToken(requestWith(authorization, href), { allowQuery })
        } catch (error) {
          if (!AuthError.is(error)) throw error
          expect(error.code).toBe('ERR_INVALID_REQUEST')
          expect(error.status).toBe(400)
          return
        }
        if (token !== undefined) expect(token).toMatch(B64TOKEN)
        // The canonical form always yields its token.
        if (authorization !== null && /^Bearer [A-Za-z0-9\-._~+/]+=*$/.test(authorization) && !allowQuery) {
          expect(token).toBe(authorization.slice(7))
        }
      }),
      fuzzParams(2000),
    )
  })

  it('authenticate over any Authorization value: 400/401 and never a throw; genuine tokens only pass in canonical-equivalent form', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(header, { nil: null }), async (authorization) => {
        const result = await auth.authenticate(requestWith(authorization))
        if (result.ok) {
          // Accepted only when the value carries a genuine token as its one b64token.
          const token = /^\s*bearer\s+(\S+)\s*$/is.exec(authorization ?? '')?.[1]
          expect(GENUINE).toContain(token)
        } else {
          expect([400, 401]).toContain(result.error.status)
        }
      }),
      fuzzParams(1000),
    )
  })
})
