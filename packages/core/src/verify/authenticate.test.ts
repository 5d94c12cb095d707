import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AlgorithmNotAllowedError,
  AudienceInvalidError,
  type AuthError,
  ClaimInvalidError,
  ConfigurationError,
  InsufficientScopeError,
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidScopeError,
  IssuerUntrustedError,
  KeyNotFoundError,
  KeysUnavailableError,
  MethodNotAllowedError,
  NotFoundError,
  ProviderUnavailableError,
  RateLimitedError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenMissingError,
  TokenNotYetValidError,
  TokenRevokedError,
  TokenTooOldError,
  TypeInvalidError,
  UnsupportedGrantTypeError,
} from '../errors.js'
import { httpError } from '../http/http-error.js'
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js'
import { createAuth } from './create-auth.js'
import type { Auth } from './types.js'

let issuer: TestIssuer
let auth: Auth

const request = (headers: Record<string, string> = {}, url = 'http://api.test/items') =>
  new Request(url, { headers })

beforeAll(async () => {
  issuer = await createTestIssuer()
  await issuer.listen()
  auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri })
})
afterAll(async () => {
  auth.close()
  await issuer.close()
})

describe('authenticate()', () => {
  it('a valid bearer token gives the principal', async () => {
    const result = await auth.authenticate(
      request({ authorization: `Bearer ${await issuer.sign({ sub: 'alice' })}` }),
    )
    expect(result.ok && result.principal.subject).toBe('alice')
  })

  it('the scheme is case-insensitive', async () => {
    const result = await auth.authenticate(request({ authorization: `bEaReR ${await issuer.sign()}` }))
    expect(result.ok).toBe(true)
  })

  it('no token → TokenMissingError, 401 without error=', async () => {
    const result = await auth.authenticate(request())
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error).toBeInstanceOf(TokenMissingError)
    const response = httpError(result.error)
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
  })

  it('a Basic credential counts as no bearer token', async () => {
    const result = await auth.authenticate(request({ authorization: 'Basic dXNlcjpwYXNz' }))
    expect(!result.ok && result.error.code).toBe('ERR_TOKEN_MISSING')
  })

  it('two tokens → 400 invalid_request', async () => {
    const token = await issuer.sign()
    const result = await auth.authenticate(request({ authorization: `Bearer ${token}, Bearer ${token}` }))
    expect(!result.ok && result.error.code).toBe('ERR_INVALID_REQUEST')
    expect(!result.ok && httpError(result.error).status).toBe(400)
  })

  it('a token in the header and the query at once → 400 when the query is allowed', async () => {
    const token = await issuer.sign()
    const both = request({ authorization: `Bearer ${token}` }, `http://api.test/items?access_token=${token}`)
    const result = await auth.authenticate(both, { allowQuery: true })
    expect(!result.ok && result.error.code).toBe('ERR_INVALID_REQUEST')
  })

  it('the query string is ignored by default and used only when allowed', async () => {
    const token = await issuer.sign()
    const r = request({}, `http://api.test/items?access_token=${token}`)
    expect((await auth.authenticate(r)).ok).toBe(false)
    expect((await auth.authenticate(r, { allowQuery: true })).ok).toBe(true)
  })

  it('a custom getToken (sync or async) replaces bearer extraction', async () => {
    const token = await issuer.sign({ sub: 'cookie-user' })
    const r = request({ cookie: `session=${token}` })
    const fromCookie = (req: { headers: { get(n: string): string | null } }) =>
      /session=([^;]+)/.exec(req.headers.get('cookie') ?? '')?.[1]
    const sync = await auth.authenticate(r, { getToken: fromCookie })
    expect(sync.ok && sync.principal.subject).toBe('cookie-user')
    const async_ = await auth.authenticate(r, { getToken: async (req) => fromCookie(req) })
    expect(async_.ok).toBe(true)
    const none = await auth.authenticate(request({ authorization: `Bearer ${token}` }), {
      getToken: () => null,
    })
    expect(!none.ok && none.error.code).toBe('ERR_TOKEN_MISSING')
  })

  it('a bad token is an answer, not an exception', async () => {
    const result = await auth.authenticate(request({ authorization: 'Bearer abc.def.ghi' }))
    expect(!result.ok && result.error.code).toBe('ERR_TOKEN_MALFORMED')
  })

  it('keys that cannot be had → 503 with Retry-After, not 401', async () => {
    const down = await createTestIssuer()
    await down.listen()
    down.setMode({ kind: 'status', status: 500 })
    const a = createAuth({
      issuer: down.issuer,
      audience: down.audience,
      jwksUri: down.jwksUri,
      jwks: { timeout: 2000 },
    })
    const result = await a.authenticate(request({ authorization: `Bearer ${await down.sign()}` }))
    expect(!result.ok && result.error.code).toBe('ERR_KEYS_UNAVAILABLE')
    if (!result.ok) {
      const response = httpError(result.error)
      expect(response.status).toBe(503)
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
    }
    a.close()
    await down.close()
  })

  it('bugs are thrown, not answered: a failing getToken, a ConfigurationError', async () => {
    await expect(
      auth.authenticate(request(), {
        getToken: () => {
          throw new TypeError('bug')
        },
      }),
    ).rejects.toThrow(TypeError)
    await expect(
      auth.authenticate(request(), {
        getToken: () => {
          throw new ConfigurationError('getAuth before authenticate')
        },
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
    // Even a request object that breaks gives a rejected promise, never a synchronous throw.
    const broken = {
      headers: {
        get(): string {
          throw new TypeError('bug')
        },
      },
    }
    const answer = auth.authenticate(broken)
    expect(answer).toBeInstanceOf(Promise)
    await expect(answer).rejects.toThrow(TypeError)
  })

  it('a provider failure is an answer (503), a provider bug is not swallowed silently as 401', async () => {
    const a = createAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: issuer.jwks(),
      providers: {
        permissions: async () => {
          throw new Error('directory down')
        },
      },
    })
    const result = await a.authenticate(request({ authorization: `Bearer ${await issuer.sign()}` }))
    expect(!result.ok && result.error.status).toBe(503)
  })
})

describe('error → HTTP status table (through httpError)', () => {
  // [error, status, WWW-Authenticate (undefined: none), Retry-After (undefined: none)]
  const table: [AuthError, number, string | undefined, string | undefined][] = [
    [new InvalidRequestError('x'), 400, 'error="invalid_request"', undefined],
    [new TokenMissingError(), 401, 'Bearer', undefined],
    [new TokenMalformedError('x'), 401, 'error="invalid_token"', undefined],
    [new TokenExpiredError('x'), 401, 'error="invalid_token"', undefined],
    [new TokenNotYetValidError('x'), 401, 'error="invalid_token"', undefined],
    [new TokenTooOldError('x'), 401, 'error="invalid_token"', undefined],
    [new TokenRevokedError('x'), 401, 'error="invalid_token"', undefined],
    [new AlgorithmNotAllowedError('x'), 401, 'error="invalid_token"', undefined],
    [new IssuerUntrustedError('x'), 401, 'error="invalid_token"', undefined],
    [new AudienceInvalidError('x'), 401, 'error="invalid_token"', undefined],
    [new TypeInvalidError('x'), 401, 'error="invalid_token"', undefined],
    [new ClaimInvalidError('x', 'exp'), 401, 'error="invalid_token"', undefined],
    [new KeyNotFoundError('x'), 401, 'error="invalid_token"', undefined],
    [new SignatureInvalidError('x'), 401, 'error="invalid_token"', undefined],
    [new InsufficientScopeError('x', { scopes: ['orders:write'] }), 403, 'scope="orders:write"', undefined],
    [new KeysUnavailableError('x', 30), 503, undefined, '30'],
    [new ProviderUnavailableError('x', 2.5), 503, undefined, '3'],
    [new InvalidClientError('x'), 401, 'error="invalid_client"', undefined],
    [new InvalidGrantError('x'), 400, 'error="invalid_grant"', undefined],
    [new UnsupportedGrantTypeError('x'), 400, 'error="unsupported_grant_type"', undefined],
    [new InvalidScopeError('x'), 400, 'error="invalid_scope"', undefined],
    [new RateLimitedError('x', 10), 429, undefined, '10'],
    [new NotFoundError('x'), 404, undefined, undefined],
    [new MethodNotAllowedError('x', ['GET']), 405, undefined, undefined],
    [new ConfigurationError('x'), 500, undefined, undefined],
  ]
  it.each(table)('%s → %i', (error, status, challenge, retryAfter) => {
    const response = httpError(error)
    expect(response.status).toBe(status)
    expect(response.body.code).toBe(error.code)
    if (challenge === undefined) expect(response.headers['www-authenticate']).toBeUndefined()
    else if (challenge === 'Bearer') expect(response.headers['www-authenticate']).toBe('Bearer')
    else expect(response.headers['www-authenticate']).toContain(challenge)
    expect(response.headers['retry-after']).toBe(retryAfter)
  })

  it('a non-Keygate error is a bare 500 that reveals nothing', () => {
    const response = httpError(new TypeError('secret detail'))
    expect(response.status).toBe(500)
    expect(JSON.stringify(response)).not.toContain('secret detail')
  })

  it('the errors verify() produces map to the same table', async () => {
    const produced = [
      [
        await auth.authenticate(
          request({ authorization: `Bearer ${await issuer.sign({}, { expiresIn: -3600 })}` }),
        ),
        401,
      ],
      [await auth.authenticate(request({ authorization: `Bearer ${await issuer.sign({ aud: 'x' })}` })), 401],
      [await auth.authenticate(request({ authorization: 'Bearer a b' })), 400],
    ] as const
    for (const [result, status] of produced) {
      expect(result.ok).toBe(false)
      if (!result.ok) expect(httpError(result.error).status).toBe(status)
    }
  })

  it('no error body or header contains the token', async () => {
    const token = await issuer.sign({ aud: 'elsewhere' })
    const result = await auth.authenticate(request({ authorization: `Bearer ${token}` }))
    if (result.ok) throw new Error('expected a failure')
    const response = httpError(result.error)
    const text = JSON.stringify(response) + result.error.message + String(result.error.stack)
    for (const part of token.split('.')) expect(text).not.toContain(part)
  })
})
