import { describe, expect, it } from 'vitest'
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
import { bearerChallenge } from './challenge.js'
import { httpError, toResponse } from './http-error.js'

// The error → HTTP table that every package README repeats.
const table: Array<[AuthError, number, string | undefined]> = [
  [new InvalidRequestError('x'), 400, 'invalid_request'],
  [new TokenMissingError(), 401, undefined],
  [new TokenMalformedError('x'), 401, 'invalid_token'],
  [new TokenExpiredError('x'), 401, 'invalid_token'],
  [new TokenNotYetValidError('x'), 401, 'invalid_token'],
  [new TokenTooOldError('x'), 401, 'invalid_token'],
  [new TokenRevokedError('x'), 401, 'invalid_token'],
  [new AlgorithmNotAllowedError('x'), 401, 'invalid_token'],
  [new IssuerUntrustedError('x'), 401, 'invalid_token'],
  [new AudienceInvalidError('x'), 401, 'invalid_token'],
  [new TypeInvalidError('x'), 401, 'invalid_token'],
  [new ClaimInvalidError('x', 'tid'), 401, 'invalid_token'],
  [new KeyNotFoundError('x'), 401, 'invalid_token'],
  [new SignatureInvalidError('x'), 401, 'invalid_token'],
  [new InsufficientScopeError('x', { scopes: ['write'] }), 403, 'insufficient_scope'],
  [new KeysUnavailableError('x', 30), 503, undefined],
  [new ProviderUnavailableError('x', 5), 503, undefined],
  [new InvalidClientError('x'), 401, 'invalid_client'],
  [new InvalidGrantError('x'), 400, 'invalid_grant'],
  [new UnsupportedGrantTypeError('x'), 400, 'unsupported_grant_type'],
  [new InvalidScopeError('x'), 400, 'invalid_scope'],
  [new RateLimitedError('x', 10), 429, undefined],
  [new NotFoundError('x'), 404, undefined],
  [new MethodNotAllowedError('x', ['POST']), 405, undefined],
  [new ConfigurationError('x'), 500, undefined],
]

describe('httpError', () => {
  it.each(table)('%s → %i', (error, status, challengeError) => {
    const out = httpError(error, { realm: 'api' })
    expect(out.status).toBe(status)
    expect(out.body.code).toBe(error.code)
    expect(out.headers['cache-control']).toBe('no-store')
    const challenge = out.headers['www-authenticate']
    if (status === 401 && challengeError === undefined) {
      expect(challenge).toBe('Bearer realm="api"')
    } else if (challengeError !== undefined) {
      expect(challenge).toContain(`error="${challengeError}"`)
    }
    if (status === 503 || status === 429) expect(Number(out.headers['retry-after'])).toBeGreaterThan(0)
    if (status >= 500) expect(out.body.error_description).toBeUndefined()
  })

  it('names the needed scopes in a 403 challenge and the body', () => {
    const out = httpError(new InsufficientScopeError('x', { scopes: ['read', 'write'] }))
    expect(out.headers['www-authenticate']).toContain('scope="read write"')
    expect(out.body.required).toEqual({ scopes: ['read', 'write'] })
  })

  it('hides everything about a non-Keygate error', () => {
    const out = httpError(new Error('secret database password in message'))
    expect(out.status).toBe(500)
    expect(JSON.stringify(out)).not.toContain('secret')
  })

  it('omits the challenge when asked (token endpoint)', () => {
    expect(
      httpError(new InvalidGrantError('x'), { challenge: false }).headers['www-authenticate'],
    ).toBeUndefined()
  })

  it('lists the allowed methods on 405', () => {
    expect(httpError(new MethodNotAllowedError('x', ['GET', 'POST'])).headers.allow).toBe('GET, POST')
  })

  it('toResponse builds a JSON Response', async () => {
    const response = toResponse(new KeysUnavailableError('down', 12.2))
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('13')
    expect(response.headers.get('content-type')).toBe('application/json')
    expect((await response.json()).code).toBe('ERR_KEYS_UNAVAILABLE')
  })
})

describe('bearerChallenge', () => {
  it('cannot be broken out of by a message with quotes or control characters', () => {
    const value = bearerChallenge(new TokenMalformedError('bad "x"\r\nSet-Cookie: a=b\\'))
    expect(value).not.toMatch(/[\r\n\\]/)
    expect(value.match(/"/g)?.length).toBe(4)
  })

  it('is a bare scheme when there is nothing to say', () => {
    expect(bearerChallenge(new TokenMissingError())).toBe('Bearer')
  })
})

describe('AuthError brand', () => {
  it('recognises errors by brand, not instanceof', () => {
    const e = new TokenExpiredError('x')
    expect(TokenExpiredError.is(e)).toBe(true)
    expect(TokenExpiredError.is(new Error('x'))).toBe(false)
    expect(TokenExpiredError.is({ code: 'ERR_TOKEN_EXPIRED' })).toBe(false)
    expect(e.name).toBe('TokenExpiredError')
  })
})
