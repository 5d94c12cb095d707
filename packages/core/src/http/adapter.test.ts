import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import type { Principal } from '../types.js'
import { authenticateOptionsFor, recordedPrincipal } from './adapter.js'

const principal = { subject: 'ana' } as Principal

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return AuthError.is(error) ? error.code : 'not-an-auth-error'
  }
  return undefined
}

describe('authenticateOptionsFor', () => {
  it('reuses one options object when no token finder needs the request', () => {
    const optionsFor = authenticateOptionsFor<string>({ optional: true })
    expect(optionsFor('a')).toBe(optionsFor('b'))
    expect(optionsFor('a')).toEqual({ optional: true, allowQuery: false })
  })

  it('binds a token finder to the framework request', async () => {
    const optionsFor = authenticateOptionsFor<{ cookie: string }>({ getToken: (req) => req.cookie })
    const options = optionsFor({ cookie: 'tok' })
    expect(await options.getToken?.(new Request('http://x'))).toBe('tok')
    expect(options.optional).toBe(false)
  })
})

describe('recordedPrincipal', () => {
  it('returns a recorded principal', () => {
    expect(recordedPrincipal(principal, {}, 'getAuth(req)')).toBe(principal)
  })

  it('gives undefined for an anonymous request only when asked for optional', () => {
    expect(recordedPrincipal(null, { optional: true }, 'getAuth(req)')).toBeUndefined()
    expect(codeOf(() => recordedPrincipal(null, {}, 'getAuth(req)'))).toBe('ERR_CONFIGURATION')
  })

  it('is a configuration error when authentication never ran', () => {
    expect(codeOf(() => recordedPrincipal(undefined, { optional: true }, 'getAuth(req)'))).toBe(
      'ERR_CONFIGURATION',
    )
  })
})
