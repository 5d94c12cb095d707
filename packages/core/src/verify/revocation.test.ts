import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStaticJWKS } from '../jwks/static.js'
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js'
import { createAuth } from './create-auth.js'
import type { RevocationCheck, RevocationSource } from './revocation.js'
import type { AuthOptions } from './types.js'

let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] })
})

afterAll(() => issuer.close())

/** An in-memory deny list by `jti` and by subject, answering synchronously or through a promise. */
function memoryRevocation(mode: 'sync' | 'async' = 'sync') {
  const jtis = new Set<string>()
  const subjects = new Set<string>()
  const seen: RevocationCheck[] = []
  const source: RevocationSource = {
    isRevoked(token) {
      seen.push(token)
      const { jti, sub } = token.claims
      const revoked =
        (typeof jti === 'string' && jtis.has(jti)) || (typeof sub === 'string' && subjects.has(sub))
      return mode === 'sync' ? revoked : Promise.resolve(revoked)
    },
  }
  return { source, jtis, subjects, seen }
}

function auth(options: Partial<AuthOptions> = {}) {
  return createAuth({
    issuer: issuer.issuer,
    audience: issuer.audience,
    source: createStaticJWKS(issuer.jwks()),
    ...options,
  })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  return 'accepted'
}

const bearer = (token: string) => ({ headers: new Headers({ authorization: `Bearer ${token}` }) })

describe('revocation', () => {
  it.each(['sync', 'async'] as const)(
    '%s source: a revoked jti or subject is ERR_TOKEN_REVOKED, 401',
    async (mode) => {
      const list = memoryRevocation(mode)
      const verifier = auth({ revocation: list.source })
      const token = await issuer.sign({ sub: 'alice', jti: 'j-1' })
      const other = await issuer.sign({ sub: 'bob', jti: 'j-2' })
      expect(await codeOf(verifier.verify(token))).toBe('accepted')
      list.jtis.add('j-1')
      expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_REVOKED')
      expect(await codeOf(verifier.verify(other))).toBe('accepted')
      list.subjects.add('bob')
      const result = await verifier.authenticate(bearer(other))
      expect(result.ok).toBe(false)
      if (!result.ok) {
        expect(result.error.code).toBe('ERR_TOKEN_REVOKED')
        expect(result.error.status).toBe(401)
      }
    },
  )

  it('the source sees verified claims and the issuer, and only after the signature passed', async () => {
    const list = memoryRevocation()
    const verifier = auth({ revocation: list.source })
    const token = await issuer.sign({ sub: 'alice', jti: 'j-3' })
    await verifier.verify(token)
    expect(list.seen).toHaveLength(1)
    expect(list.seen[0]).toMatchObject({ issuer: issuer.issuer, claims: { sub: 'alice', jti: 'j-3' } })
    // A forged signature never reaches the deny list.
    const [head, body] = token.split('.')
    const forged = `${head}.${body}.${'A'.repeat(86)}`
    expect(await codeOf(verifier.verify(forged))).toBe('ERR_SIGNATURE_INVALID')
    expect(list.seen).toHaveLength(1)
  })

  it.each(['sync', 'async'] as const)(
    '%s source: the token cache does not let a revoked token through',
    async (mode) => {
      const list = memoryRevocation(mode)
      const verifier = auth({ revocation: list.source, tokenCache: { max: 10 } })
      const token = await issuer.sign({ sub: 'carol', jti: 'j-4' })
      const first = await verifier.verify(token)
      // Cached: the same principal comes back, and the source was asked on the hit too.
      expect(await verifier.verify(token)).toBe(first)
      expect(list.seen).toHaveLength(2)
      if (mode === 'sync') expect(verifier.cachedPrincipal(bearer(token))).toBe(first)
      else expect(verifier.cachedPrincipal(bearer(token))).toBeUndefined()

      list.jtis.add('j-4')
      expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_REVOKED')
      expect(verifier.cachedPrincipal(bearer(token))).toBeUndefined()
      const result = await verifier.authenticate(bearer(token))
      expect(result.ok ? 'accepted' : result.error.code).toBe('ERR_TOKEN_REVOKED')
    },
  )

  it.each(['sync', 'async'] as const)(
    '%s source with a version: a cache hit is re-checked only when the version changed',
    async (mode) => {
      const list = memoryRevocation(mode)
      const versioned = {
        version: 0,
        isRevoked: (token: RevocationCheck) => list.source.isRevoked(token),
      }
      const revoke = (jti: string) => {
        list.jtis.add(jti)
        versioned.version++
      }
      const verifier = auth({ revocation: versioned, tokenCache: { max: 10 } })
      const token = await issuer.sign({ sub: 'frank', jti: 'j-5' })
      const first = await verifier.verify(token)
      expect(list.seen).toHaveLength(1)
      // Hits with the version unchanged: answered without asking the source.
      expect(await verifier.verify(token)).toBe(first)
      expect((await verifier.authenticate(bearer(token))).ok).toBe(true)
      expect(verifier.cachedPrincipal(bearer(token))).toBe(first) // even for an asynchronous source
      expect(list.seen).toHaveLength(1)

      // Something else revoked: asked once again, then the new version is remembered.
      revoke('someone-else')
      expect(await verifier.verify(token)).toBe(first)
      expect(await verifier.verify(token)).toBe(first)
      expect(list.seen).toHaveLength(2)

      // This token revoked: the very next hit refuses it, on every path.
      revoke('j-5')
      if (mode === 'sync') expect(verifier.cachedPrincipal(bearer(token))).toBeUndefined()
      expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_REVOKED')
      expect(verifier.cachedPrincipal(bearer(token))).toBeUndefined()
      const result = await verifier.authenticate(bearer(token))
      expect(result.ok ? 'accepted' : result.error.code).toBe('ERR_TOKEN_REVOKED')
    },
  )

  it('a version read before an asynchronous answer: a revocation during the wait is not skipped later', async () => {
    const revoked = new Set<string>()
    let release: (() => void) | undefined
    const source = {
      version: 0,
      isRevoked({ claims }: RevocationCheck): Promise<boolean> {
        const answer = revoked.has(claims.jti as string)
        // The answer was decided before this revocation arrives (a lookup already under way).
        return new Promise((resolve) => {
          release = () => resolve(answer)
        })
      },
    }
    const asked = async () => {
      while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 0))
      const answer = release
      release = undefined
      answer()
    }
    const verifier = auth({ revocation: source, tokenCache: { max: 10 } })
    const token = await issuer.sign({ sub: 'gina', jti: 'j-6' })
    const verifying = verifier.verify(token)
    while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 0))
    revoked.add('j-6')
    source.version++
    await asked()
    await verifying // "not revoked", answered from before the revocation
    const again = verifier.verify(token) // a cache hit: the version differs from the one read before
    await asked()
    expect(await codeOf(again)).toBe('ERR_TOKEN_REVOKED')
  })

  it('anything but false counts as revoked', async () => {
    const verifier = auth({ revocation: { isRevoked: () => undefined as unknown as boolean } })
    expect(await codeOf(verifier.verify(await issuer.sign({ sub: 'dave' })))).toBe('ERR_TOKEN_REVOKED')
  })

  it('a source that throws a plain error is a bug: authenticate rejects instead of answering', async () => {
    const verifier = auth({
      revocation: {
        isRevoked() {
          throw new TypeError('broken source')
        },
      },
    })
    const token = await issuer.sign({ sub: 'erin' })
    await expect(verifier.authenticate(bearer(token))).rejects.toThrow(TypeError)
  })

  it('a malformed revocation option is a configuration error at construction', () => {
    for (const revocation of [null, 42, {}, { isRevoked: true }]) {
      expect(() => auth({ revocation: revocation as unknown as RevocationSource })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
      )
    }
  })
})
