/**
 * Core on a runtime without Node built-ins (edge): with `process.getBuiltinModule` hidden, the
 * verifier must fall back to WebCrypto and a portable base64url decoder, and answer every token
 * exactly as the node:crypto path does. Runs in its own fork (vitest `pool: 'forks'`), so hiding
 * the global affects no other test file.
 */
import { Buffer } from 'node:buffer'
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getBuiltin } from '../../src/runtime.js'
import { createTestIssuer, type TestAlgorithm, type TestIssuer } from '../../src/testing/test-issuer.js'
import { createAuth } from '../../src/verify/create-auth.js'
import type { Auth, AuthOptions } from '../../src/verify/types.js'

const ALGORITHMS: TestAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']
const SECRET = 'an-hmac-secret-that-is-long-enough-for-hs512-keys-0123456789abcdef'
const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

type Proc = { getBuiltinModule?: unknown }
const proc = globalThis.process as unknown as Proc
const original = proc.getBuiltinModule

let rsIssuer: TestIssuer
let nodeAuth: Auth
let webAuth: Auth
let hsNode: Auth
let hsWeb: Auth
let now: number

function hmac(alg: 'HS256' | 'HS384' | 'HS512', claims: object, secret = SECRET): string {
  const input = `${b64(JSON.stringify({ alg }))}.${b64(JSON.stringify(claims))}`
  return `${input}.${b64(
    createHmac(`sha${alg.slice(2)}`, secret)
      .update(input)
      .digest(),
  )}`
}

async function outcome(auth: Auth, token: string): Promise<string> {
  try {
    const principal = await auth.verify(token)
    return `accepted:${principal.subject}:${principal.scopes.join(',')}`
  } catch (error) {
    return (error as { code: string }).code
  }
}

function flipLastSignatureByte(token: string): string {
  const [h, p, s] = token.split('.')
  const sig = Buffer.from(s!, 'base64url')
  sig[sig.length - 1]! ^= 1
  return `${h}.${p}.${b64(sig)}`
}

async function corpus(): Promise<[string, string][]> {
  const cases: [string, string][] = []
  const iss = rsIssuer
  for (const alg of ALGORITHMS) {
    const token = await iss.sign({ sub: `user-${alg}`, scope: 'a b' }, { alg })
    cases.push([`${alg} valid`, token])
    cases.push([`${alg} tampered signature`, flipLastSignatureByte(token)])
    cases.push([`${alg} expired`, await iss.sign({}, { alg, expiresIn: -3600 })])
    cases.push([`${alg} unknown kid`, await iss.sign({}, { alg, kid: 'nope' })])
    const [h, , s] = token.split('.')
    cases.push([
      `${alg} tampered payload`,
      `${h}.${b64(JSON.stringify({ iss: iss.issuer, aud: iss.audience, sub: 'admin', exp: now + 60 }))}.${s}`,
    ])
  }
  const base = { iss: iss.issuer, aud: iss.audience, sub: 'h', exp: now + 300 }
  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    cases.push([`${alg} valid`, hmac(alg, base)])
    cases.push([`${alg} wrong secret`, hmac(alg, base, `${SECRET}x`)])
  }
  const valid = await iss.sign({}, { alg: 'ES256' })
  const [h, p, s] = valid.split('.')
  cases.push(['padding', `${h}.${p}.${s}==`])
  cases.push(['non-canonical bits', `${h}.${p}.${s!.slice(0, -1)}${s!.endsWith('A') ? 'B' : 'A'}`])
  cases.push(['two segments', `${h}.${p}`])
  cases.push(['alg none', `${b64('{"alg":"none"}')}.${p}.${s}`])
  cases.push(['duplicate members', `${b64('{"alg":"ES256","alg":"ES256"}')}.${p}.${s}`])
  cases.push(['wrong audience', await iss.sign({ aud: 'x' }, { alg: 'ES256' })])
  cases.push(['short ECDSA signature', `${h}.${p}.${b64(Buffer.from(s!, 'base64url').subarray(0, 60))}`])
  cases.push(['non-UTF-8 payload', `${h}.${b64(new Uint8Array([0x7b, 0xff, 0x7d]))}.${s}`])
  return cases
}

beforeAll(async () => {
  now = Math.floor(Date.now() / 1000)
  rsIssuer = await createTestIssuer({ algorithms: ALGORITHMS })
  const options = (): AuthOptions => ({
    issuer: rsIssuer.issuer,
    audience: rsIssuer.audience,
    keys: rsIssuer.jwks(),
    algorithms: ALGORITHMS,
  })
  const hsOptions = (): AuthOptions => ({
    issuer: rsIssuer.issuer,
    audience: rsIssuer.audience,
    secret: SECRET,
    algorithms: ['HS256', 'HS384', 'HS512'],
  })
  nodeAuth = createAuth(options())
  hsNode = createAuth(hsOptions())
  proc.getBuiltinModule = undefined
  webAuth = createAuth(options())
  hsWeb = createAuth(hsOptions())
})

afterAll(() => {
  proc.getBuiltinModule = original
})

describe('without Node built-ins', () => {
  it('node:* modules are out of reach', () => {
    expect(getBuiltin('node:crypto')).toBeUndefined()
    expect(getBuiltin('node:buffer')).toBeUndefined()
  })

  it('verifies every algorithm with WebCrypto, answering exactly as node:crypto does', async () => {
    const cases = await corpus()
    let accepted = 0
    for (const [name, token] of cases) {
      const hs = name.startsWith('HS')
      const expected = await outcome(hs ? hsNode : nodeAuth, token)
      const actual = await outcome(hs ? hsWeb : webAuth, token)
      expect({ name, actual }).toEqual({ name, actual: expected })
      if (expected.startsWith('accepted')) accepted++
    }
    // The corpus is not all-rejections: every algorithm's valid token passed on both paths.
    expect(accepted).toBe(ALGORITHMS.length + 3)
  })

  it('a key that WebCrypto cannot import is a KeyNotFoundError, not a crash', async () => {
    const auth = createAuth({
      issuer: rsIssuer.issuer,
      audience: rsIssuer.audience,
      keys: { keys: [{ kty: 'EC', crv: 'P-256', kid: 'bad', x: 'AA', y: 'AA' }] },
      algorithms: ['ES256'],
    })
    const token = await rsIssuer.sign({}, { alg: 'ES256', kid: 'bad' })
    expect(await outcome(auth, token)).toBe('ERR_KEY_NOT_FOUND')
    // Asked again: the failed import is remembered and answered the same way.
    expect(await outcome(auth, token)).toBe('ERR_KEY_NOT_FOUND')
  })

  it('the token cache works on this path too', async () => {
    const auth = createAuth({
      issuer: rsIssuer.issuer,
      audience: rsIssuer.audience,
      keys: rsIssuer.jwks(),
      tokenCache: { max: 2 },
    })
    const token = await rsIssuer.sign({ sub: 'cached' }, { alg: 'EdDSA' })
    const first = await auth.verify(token)
    expect(await auth.verify(token)).toBe(first)
  })
})
