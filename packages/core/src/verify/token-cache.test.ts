import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRemoteJWKS } from '../jwks/remote.js'
import { createStaticJWKS } from '../jwks/static.js'
import type { JWKSSource } from '../jwks/types.js'
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js'
import type { Principal } from '../types.js'
import { createAuth } from './create-auth.js'
import { type CacheEntry, createTokenCache } from './token-cache.js'
import type { AuthOptions } from './types.js'

let issuer: TestIssuer

function counting(inner: JWKSSource): JWKSSource & { calls: number } {
  const source = {
    calls: 0,
    getKey(selector: Parameters<JWKSSource['getKey']>[0]) {
      source.calls++
      return inner.getKey(selector)
    },
    peek: () => inner.peek(),
    reload: () => inner.reload(),
    close: () => inner.close(),
  }
  return source
}

// createAuth for the shared issuer, keys from `source`, with the given token cache (and clock).
function cachedAuth(
  source: JWKSSource,
  tokenCache: NonNullable<AuthOptions['tokenCache']>,
  clock?: () => number,
) {
  return createAuth({ issuer: issuer.issuer, audience: issuer.audience, source, tokenCache, clock })
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
  issuer = await createTestIssuer({ algorithms: ['ES256'] })
  await issuer.listen()
})
afterAll(() => issuer.close())

describe('verified-token cache', () => {
  it('a hit skips the key lookup and signature check and returns the same principal', async () => {
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, { max: 10 })
    const token = await issuer.sign({ sub: 'alice', roles: ['admin'] })
    const first = await auth.verify(token)
    const second = await auth.verify(token)
    expect(second).toBe(first)
    expect(source.calls).toBe(1)
    // Shared between requests, so nobody may change it.
    expect(Object.isFrozen(first) && Object.isFrozen(first.claims) && Object.isFrozen(first.roles)).toBe(true)
  })

  it('cachedPrincipal answers a cached Bearer request at once, and nothing else', async () => {
    let now = Date.now()
    const options = {
      issuer: issuer.issuer,
      audience: issuer.audience,
      source: createStaticJWKS(issuer.jwks()),
    }
    const auth = createAuth({ ...options, tokenCache: {}, clock: () => now })
    const token = await issuer.sign({ sub: 'alice' }, { expiresIn: 60 })
    const request = (authorization: string) =>
      new Request('http://127.0.0.1/', { headers: { authorization } })
    expect(auth.cachedPrincipal(request(`Bearer ${token}`))).toBeUndefined()
    const verified = await auth.authenticate(request(`Bearer ${token}`))
    expect(verified.ok && auth.cachedPrincipal(request(`Bearer ${token}`))).toBe(
      verified.ok && verified.principal,
    )
    // Anything but the canonical form is left to authenticate, which applies every rule.
    for (const unusual of [
      `bearer ${token}`,
      `Bearer  ${token}`,
      `Bearer ${token}, Bearer ${token}`,
      'Basic eDp5',
    ])
      expect(auth.cachedPrincipal(request(unusual)), unusual).toBeUndefined()
    expect(auth.cachedPrincipal(new Request('http://127.0.0.1/'))).toBeUndefined()
    // Options that find the token elsewhere need authenticate; `optional` changes nothing for a hit.
    expect(auth.cachedPrincipal(request(`Bearer ${token}`), { getToken: () => token })).toBeUndefined()
    expect(auth.cachedPrincipal(request(`Bearer ${token}`), { allowQuery: true })).toBeUndefined()
    expect(auth.cachedPrincipal(request(`Bearer ${token}`), { optional: true })).toBeDefined()
    now += 61_000
    expect(auth.cachedPrincipal(request(`Bearer ${token}`))).toBeUndefined()
    const uncached = createAuth(options)
    await uncached.authenticate(request(`Bearer ${token}`))
    expect(uncached.cachedPrincipal(request(`Bearer ${token}`))).toBeUndefined()
  })

  it('without a cache every call verifies', async () => {
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, source })
    const token = await issuer.sign()
    await auth.verify(token)
    await auth.verify(token)
    expect(source.calls).toBe(2)
  })

  it('an entry never outlives exp, whatever the clock tolerance', async () => {
    let now = Date.now()
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, {}, () => now)
    const token = await issuer.sign({}, { expiresIn: 120 })
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number
    await auth.verify(token)
    now = exp * 1000 - 1
    await auth.verify(token)
    expect(source.calls).toBe(1)
    // At exp the entry is gone; full verification still accepts within the 60 s tolerance.
    now = exp * 1000
    expect(await codeOf(auth.verify(token))).toBe('accepted')
    expect(source.calls).toBe(2)
    now = exp * 1000 + 60_000
    expect(await codeOf(auth.verify(token))).toBe('ERR_TOKEN_EXPIRED')
  })

  it('ttl caps an entry below exp', async () => {
    let now = Date.now()
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, { ttl: '10s' }, () => now)
    const token = await issuer.sign({}, { expiresIn: 3600 })
    await auth.verify(token)
    now += 9_999
    await auth.verify(token)
    expect(source.calls).toBe(1)
    now += 1
    await auth.verify(token)
    expect(source.calls).toBe(2)
  })

  it('a clock that goes back before nbf misses', async () => {
    let now = Date.now()
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, {}, () => now)
    const token = await issuer.sign({ nbf: Math.floor(now / 1000) }, { expiresIn: 3600 })
    await auth.verify(token)
    now -= 120_000
    expect(await codeOf(auth.verify(token))).toBe('ERR_TOKEN_NOT_YET_VALID')
    expect(source.calls).toBe(1)
  })

  it('an entry is dropped when its key leaves the JWKS, kept while the key stays', async () => {
    const rotating = await createTestIssuer({ algorithms: ['ES256'] })
    await rotating.listen()
    const remote = createRemoteJWKS({ jwksUri: rotating.jwksUri })
    const source = counting(remote)
    const auth = createAuth({ issuer: rotating.issuer, audience: rotating.audience, source, tokenCache: {} })
    const token = await rotating.sign()
    await auth.verify(token)
    // Rotation that keeps the old key: a new key set, the same key — still a hit.
    await rotating.rotate({ keepOld: true })
    await remote.reload()
    expect(remote.peek()!.length).toBe(2)
    await auth.verify(token)
    expect(source.calls).toBe(1)
    // The old key is removed: the cached principal must not be served any more.
    await rotating.rotate()
    await remote.reload()
    expect(await codeOf(auth.verify(token))).toBe('ERR_KEY_NOT_FOUND')
    expect(source.calls).toBe(2)
    remote.close()
    await rotating.close()
  })

  it('is bounded, least recently used first out', async () => {
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, { max: 3 })
    const tokens = await Promise.all([1, 2, 3, 4].map((n) => issuer.sign({ sub: `u${n}` })))
    for (const t of tokens.slice(0, 3)) await auth.verify(t)
    await auth.verify(tokens[0]!) // u1 becomes the most recent
    expect(source.calls).toBe(3)
    await auth.verify(tokens[3]!) // evicts u2, the least recent
    expect(source.calls).toBe(4)
    await auth.verify(tokens[0]!)
    await auth.verify(tokens[2]!)
    await auth.verify(tokens[3]!)
    expect(source.calls).toBe(4)
    await auth.verify(tokens[1]!)
    expect(source.calls).toBe(5)
  })

  it('repeated hits on the most recent entry keep the order exact', async () => {
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, { max: 2 })
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => issuer.sign({ sub })))
    await auth.verify(a!)
    await auth.verify(b!)
    await auth.verify(b!) // already the most recent
    await auth.verify(a!) // a becomes the most recent
    await auth.verify(a!)
    expect(source.calls).toBe(2)
    await auth.verify(c!) // evicts b
    await auth.verify(a!)
    expect(source.calls).toBe(3)
    await auth.verify(b!)
    expect(source.calls).toBe(4)
  })

  it('errors are never cached', async () => {
    let failing = true
    const inner = createStaticJWKS(issuer.jwks())
    const source: JWKSSource & { calls: number } = {
      calls: 0,
      async getKey(selector) {
        source.calls++
        if (failing) throw new Error('network down')
        return inner.getKey(selector)
      },
      peek: () => inner.peek(),
      reload: async () => {},
      close: () => {},
    }
    const auth = cachedAuth(source, {})
    const token = await issuer.sign()
    expect(await codeOf(auth.verify(token))).toBe('ERR_KEYS_UNAVAILABLE')
    failing = false
    expect(await codeOf(auth.verify(token))).toBe('accepted')
    const [h, p, s] = (await issuer.sign()).split('.')
    const tampered = `${h}.${p}.${s!.slice(0, 10)}${s![10] === 'A' ? 'B' : 'A'}${s!.slice(11)}`
    expect(await codeOf(auth.verify(tampered))).toBe('ERR_SIGNATURE_INVALID')
    expect(await codeOf(auth.verify(tampered))).toBe('ERR_SIGNATURE_INVALID')
    expect(source.calls).toBe(4)
  })

  it('keys by the whole token: tokens sharing a long prefix are distinct entries', async () => {
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, {})
    const token = await issuer.sign()
    await auth.verify(token)
    const [h, p, s] = token.split('.')
    const sig = Buffer.from(s!, 'base64url')
    sig[sig.length - 1]! ^= 1
    const forged = `${h}.${p}.${sig.toString('base64url')}`
    expect(await codeOf(auth.verify(forged))).toBe('ERR_SIGNATURE_INVALID')
  })

  it('a token ending like a cached one (the same signature on another payload) is verified in full', async () => {
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, {})
    const token = await issuer.sign({ sub: 'alice' })
    const [h, p, s] = token.split('.')
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')}.${s}`
    const request = (t: string) =>
      new Request('http://api.test/', { headers: { authorization: `Bearer ${t}` } })
    const first = await auth.authenticate(request(token))
    expect(first.ok && first.principal.subject).toBe('alice')
    for (let round = 0; round < 2; round++) {
      expect(await codeOf(auth.verify(forged))).toBe('ERR_SIGNATURE_INVALID')
      const answer = await auth.authenticate(request(forged))
      expect(!answer.ok && answer.error.code).toBe('ERR_SIGNATURE_INVALID')
    }
    // …and the genuine token is still served from the cache.
    const again = await auth.authenticate(request(token))
    expect(again.ok && again.principal).toBe(first.ok && first.principal)
    expect(source.calls).toBe(5)
  })

  it('authenticate answers a cached token exactly as it would without the cache', async () => {
    const source = counting(createStaticJWKS(issuer.jwks()))
    const auth = cachedAuth(source, {})
    const token = await issuer.sign({ sub: 'alice' })
    const principal = await auth.verify(token)
    const answer = (authorization: string, url = 'http://api.test/', allowQuery = false) =>
      auth.authenticate(new Request(url, { headers: { authorization } }), { allowQuery })
    const codeOfAnswer = async (result: ReturnType<typeof answer>) => {
      const settled = await result
      return settled.ok ? 'accepted' : settled.error.code
    }
    for (const header of [`Bearer ${token}`, `bearer ${token}`, `Bearer   ${token}  `]) {
      const result = await answer(header)
      expect(result.ok && result.principal).toBe(principal)
    }
    expect(await codeOfAnswer(answer(`Bearer ${token}, Bearer ${token}`))).toBe('ERR_INVALID_REQUEST')
    expect(await codeOfAnswer(answer(`Bearer ${token} x`))).toBe('ERR_INVALID_REQUEST')
    expect(await codeOfAnswer(answer(`Bearer ${token}x`))).not.toBe('accepted')
    // Sent twice (header and query) is a 400 even though the header alone would be a hit.
    const url = `http://api.test/?access_token=${token}`
    expect(await codeOfAnswer(answer(`Bearer ${token}`, url, true))).toBe('ERR_INVALID_REQUEST')
    expect(source.calls).toBe(1)
  })

  it('a source without a key-set view is not cached (rotation could not be noticed)', async () => {
    const inner = createStaticJWKS(issuer.jwks())
    const source = counting({ ...inner, peek: () => undefined })
    const auth = cachedAuth(source, {})
    const token = await issuer.sign()
    await auth.verify(token)
    await auth.verify(token)
    expect(source.calls).toBe(2)
  })

  it('HMAC tokens are cached too, also on an issuer that has a key set as well', async () => {
    const secret = 'an-hmac-secret-of-at-least-32-bytes'
    const auth = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      secret,
      algorithms: ['ES256', 'HS256'],
      tokenCache: {},
    })
    const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url')
    const claims = {
      iss: issuer.issuer,
      aud: issuer.audience,
      sub: 'h',
      exp: Math.floor(Date.now() / 1000) + 60,
    }
    const input = `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify(claims))}`
    const token = `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`
    const first = await auth.verify(token)
    expect(await auth.verify(token)).toBe(first)
    const uncached = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      secret,
      algorithms: ['HS256'],
    })
    expect(await uncached.verify(token)).not.toBe(await uncached.verify(token))
  })
})

describe('createTokenCache (the store itself)', () => {
  const principal = (token: string) => ({ subject: token }) as unknown as Principal
  const entry = (token: string, expiresAt = Number.POSITIVE_INFINITY): CacheEntry => ({
    token,
    principal: principal(token),
    expiresAt,
    notBefore: 0,
    source: undefined,
    jwk: undefined,
    keys: undefined,
    revocationVersion: undefined,
  })
  // 40-character tokens whose last 16 characters (the map key) differ.
  const tokenOf = (n: number) => `header.payload.${String(n).padStart(25, '0')}`

  it('keeps exactly the entries an exact LRU keeps, over a long random sequence', () => {
    const max = 5
    const cache = createTokenCache(max)
    let model: string[] = [] // least recent first
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let step = 0; step < 5000; step++) {
      const token = tokenOf(Math.floor(random() * 9))
      if (random() < 0.5) {
        const hit = cache.get(token, 1)
        expect(hit?.subject === token).toBe(model.includes(token))
        if (model.includes(token)) model = [...model.filter((t) => t !== token), token]
      } else {
        cache.set(entry(token))
        model = [...model.filter((t) => t !== token), token]
        if (model.length > max) model = model.slice(1)
      }
      expect(cache.size).toBe(model.length)
    }
  })

  it('drops an expired entry on a hit, whether newest or not, and keeps the order of the rest', () => {
    const cache = createTokenCache(3)
    cache.set(entry(tokenOf(1)))
    cache.set(entry(tokenOf(2), 10))
    cache.set(entry(tokenOf(3), 10))
    expect(cache.get(tokenOf(3), 20)).toBeUndefined() // the newest, expired
    expect(cache.get(tokenOf(2), 20)).toBeUndefined() // now the newest, expired
    expect(cache.size).toBe(1)
    cache.set(entry(tokenOf(4)))
    cache.set(entry(tokenOf(5)))
    cache.set(entry(tokenOf(6))) // evicts 1, the least recent
    expect(cache.get(tokenOf(1), 20)).toBeUndefined()
    expect([4, 5, 6].map((n) => cache.get(tokenOf(n), 20)?.subject)).toEqual([4, 5, 6].map(tokenOf))
  })

  it('never answers for a different token that ends the same way', () => {
    const cache = createTokenCache(3)
    const token = tokenOf(1)
    cache.set(entry(token))
    expect(cache.get(`x${token.slice(1)}`, 1)).toBeUndefined()
    expect(cache.get(token.slice(8), 1)).toBeUndefined()
    expect(cache.get(token, 1)?.subject).toBe(token)
  })
})
