import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { extractBearerToken } from './bearer.js'
import { fromNodeRequest } from './node-headers.js'

const req = (authorization?: string, url = 'http://api.test/x') =>
  new Request(url, { headers: authorization === undefined ? {} : { authorization } })

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return AuthError.is(error) ? error.code : 'not-an-auth-error'
  }
  return undefined
}

describe('extractBearerToken (RFC 6750 §2)', () => {
  it('reads one bearer token with a case-insensitive scheme', () => {
    expect(extractBearerToken(req('Bearer abc.def.ghi'))).toBe('abc.def.ghi')
    expect(extractBearerToken(req('bearer abc.def.ghi'))).toBe('abc.def.ghi')
    expect(extractBearerToken(req('BEARER   abc.def.ghi  '))).toBe('abc.def.ghi')
  })

  it('treats no header, an empty header and other schemes as no token', () => {
    expect(extractBearerToken(req())).toBeUndefined()
    expect(extractBearerToken(req(''))).toBeUndefined()
    expect(extractBearerToken(req('Basic dXNlcjpwYXNz'))).toBeUndefined()
    expect(extractBearerToken(req('Bearerish abc'))).toBeUndefined()
  })

  it('rejects an empty bearer, two credentials and non-b64token values with 400', () => {
    expect(codeOf(() => extractBearerToken(req('Bearer ')))).toBe('ERR_INVALID_REQUEST')
    expect(codeOf(() => extractBearerToken(req('Bearer')))).toBe('ERR_INVALID_REQUEST')
    expect(codeOf(() => extractBearerToken(req('Bearer a.b.c, Bearer d.e.f')))).toBe('ERR_INVALID_REQUEST')
    expect(codeOf(() => extractBearerToken(req('Bearer a.b.c d.e.f')))).toBe('ERR_INVALID_REQUEST')
    expect(codeOf(() => extractBearerToken(req('Bearer a"b')))).toBe('ERR_INVALID_REQUEST')
  })

  it('sees two Authorization headers from Node as two credentials', () => {
    const node = fromNodeRequest({ headers: { authorization: ['Bearer a.b.c', 'Bearer d.e.f'] } })
    expect(codeOf(() => extractBearerToken(node))).toBe('ERR_INVALID_REQUEST')
    expect(extractBearerToken(fromNodeRequest({ headers: { authorization: 'Bearer a.b.c' } }))).toBe('a.b.c')
  })

  it('ignores ?access_token= unless allowed, and then rejects two methods', () => {
    expect(extractBearerToken(req(undefined, 'http://api.test/x?access_token=a.b.c'))).toBeUndefined()
    expect(
      extractBearerToken(req(undefined, 'http://api.test/x?access_token=a.b.c'), { allowQuery: true }),
    ).toBe('a.b.c')
    expect(
      codeOf(() =>
        extractBearerToken(req('Bearer a.b.c', 'http://api.test/x?access_token=a.b.c'), { allowQuery: true }),
      ),
    ).toBe('ERR_INVALID_REQUEST')
    expect(
      codeOf(() =>
        extractBearerToken(req(undefined, 'http://api.test/x?access_token=a&access_token=b'), {
          allowQuery: true,
        }),
      ),
    ).toBe('ERR_INVALID_REQUEST')
  })
})
