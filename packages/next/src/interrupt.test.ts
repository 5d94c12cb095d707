import {
  type AuthError,
  ConfigurationError,
  InsufficientScopeError,
  InvalidRequestError,
  KeysUnavailableError,
  ProviderUnavailableError,
  TokenExpiredError,
  TokenMissingError,
} from '@keygate/core/errors'
// Next.js's own reading of an interrupt: the status its renderer answers with.
import {
  getAccessFallbackHTTPStatus,
  isHTTPAccessFallbackError,
} from 'next/dist/client/components/http-access-fallback/http-access-fallback.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { interrupt, interruptFor } from './interrupt.js'
import { resolveSettings } from './options.js'

const outages: AuthError[] = [
  new KeysUnavailableError('jwks down', 30),
  new ProviderUnavailableError('db down', 30),
]

describe('interruptFor', () => {
  it('answers a missing or bad token with unauthorized() when interrupts are on', () => {
    for (const error of [
      new TokenMissingError(),
      new TokenExpiredError('expired'),
      new InvalidRequestError('x'),
    ])
      expect(interruptFor(error, { interrupts: true }), error.code).toBe('unauthorized')
  })

  it('prefers loginUrl to unauthorized() for a missing or bad token', () => {
    expect(interruptFor(new TokenMissingError(), { interrupts: true, loginUrl: '/login' })).toBe('login')
    expect(interruptFor(new TokenExpiredError('expired'), { loginUrl: '/login' })).toBe('login')
  })

  it('answers an unmet requirement with forbidden(), never with a login redirect', () => {
    const error = new InsufficientScopeError('write')
    expect(interruptFor(error, { interrupts: true, loginUrl: '/login' })).toBe('forbidden')
    expect(interruptFor(error, { loginUrl: '/login' })).toBe('throw')
  })

  it('throws outages and bugs: a 503 is never reported as 401 or 403', () => {
    for (const error of [...outages, new ConfigurationError('bad')]) {
      expect(interruptFor(error, { interrupts: true, loginUrl: '/login' }), error.code).toBe('throw')
    }
  })

  it('throws everything when neither interrupts nor loginUrl are set', () => {
    for (const error of [new TokenMissingError(), new InsufficientScopeError('write'), ...outages])
      expect(interruptFor(error, {}), error.code).toBe('throw')
  })
})

describe('interrupt', () => {
  // What `experimental.authInterrupts` sets for Next.js's runtime.
  const FLAG = '__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS'
  const before = process.env[FLAG]
  beforeAll(() => {
    process.env[FLAG] = 'true'
  })
  afterAll(() => {
    if (before === undefined) delete process.env[FLAG]
    else process.env[FLAG] = before
  })

  const settings = resolveSettings({ authOptions: { issuer: 'https://issuer.test/' }, interrupts: true })
  const statusOf = async (error: AuthError) => {
    try {
      await interrupt(error, settings, { login: true })
    } catch (thrown) {
      return isHTTPAccessFallbackError(thrown) ? getAccessFallbackHTTPStatus(thrown) : thrown
    }
  }

  it('raises the Next.js 401 and 403 interrupts', async () => {
    expect(await statusOf(new TokenMissingError())).toBe(401)
    expect(await statusOf(new InsufficientScopeError('write'))).toBe(403)
  })

  it('rethrows the very error for an outage', async () => {
    for (const error of outages) expect(await statusOf(error)).toBe(error)
  })
})
