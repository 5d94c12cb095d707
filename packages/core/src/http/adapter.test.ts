import { describe, expect, it } from 'vitest'
import { defineRequirement } from '../authorize/requirement.js'
import { AuthError } from '../errors.js'
import type { Principal } from '../types.js'
import { authenticateOptionsFor, authorizeRecorded, recordedPrincipal } from './adapter.js'

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

describe('authorizeRecorded', () => {
  const required = defineRequirement({ permissions: ['orders:write'] })
  const holder = {
    subject: 'ana',
    permissions: ['orders:write'],
    roles: [],
    groups: [],
    scopes: [],
  } as unknown as Principal

  it('checks a recorded principal against the requirement', async () => {
    expect(await authorizeRecorded(holder, required)).toEqual({ ok: true })
    const lacking = await authorizeRecorded({ ...holder, permissions: [] } as Principal, required)
    expect(lacking.ok).toBe(false)
    expect(!lacking.ok && lacking.error.code).toBe('ERR_INSUFFICIENT_SCOPE')
  })

  it('refuses an anonymous request as one without a token', async () => {
    const result = await authorizeRecorded(null, required)
    expect(!result.ok && result.error.code).toBe('ERR_TOKEN_MISSING')
  })

  it('rejects with a ConfigurationError where authentication never ran', async () => {
    await expect(authorizeRecorded(undefined, required)).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
  })
})
