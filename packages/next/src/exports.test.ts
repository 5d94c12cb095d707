import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }
import * as root from './index.js'
import * as middleware from './middleware-entry.js'

const ERRORS = [
  'AlgorithmNotAllowedError',
  'AudienceInvalidError',
  'AuthError',
  'ClaimInvalidError',
  'ConfigurationError',
  'CrossSiteRequestError',
  'InsufficientScopeError',
  'InvalidClientError',
  'InvalidGrantError',
  'InvalidRequestError',
  'InvalidScopeError',
  'InvalidTokenError',
  'IssuerUntrustedError',
  'KeyNotFoundError',
  'KeysUnavailableError',
  'MethodNotAllowedError',
  'NotFoundError',
  'ProviderUnavailableError',
  'RateLimitedError',
  'SignatureInvalidError',
  'StoreUnavailableError',
  'TokenExpiredError',
  'TokenMalformedError',
  'TokenMissingError',
  'TokenNotYetValidError',
  'TokenRevokedError',
  'TokenTooOldError',
  'TypeInvalidError',
  'UnavailableError',
  'UnsupportedGrantTypeError',
  'UnsupportedTokenTypeError',
]

describe('@keygate/next exports', () => {
  it('maps exactly these subpaths', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './middleware', './package.json'])
  })

  it('exports the Next.js API and re-exports every core error from the root', () => {
    const api = Object.keys(root).filter((name) => !ERRORS.includes(name))
    expect(api.sort()).toEqual([
      'DEFAULT_PRINCIPAL_TTL_MS',
      'PRINCIPAL_HEADER',
      'authenticate',
      'authorize',
      'createKeygate',
      'createMiddleware',
      'createRouteAuth',
      'createServerAuth',
      'getAuth',
      'issuerRoutes',
      'sessionRoutes',
      'sessionToken',
      'signPrincipal',
      'startSession',
      'startSessionAction',
      'verifyPrincipal',
    ])
    for (const name of ERRORS) expect(root, name).toHaveProperty(name)
  })

  it('keeps the edge-only entry small: the middleware verbs and the header name', () => {
    expect(Object.keys(middleware).sort()).toEqual([
      'PRINCIPAL_HEADER',
      'authenticate',
      'authorize',
      'createMiddleware',
    ])
  })

  it('names the shared verbs as the other framework packages do, one implementation per entry', () => {
    expect(middleware.authenticate).toBe(root.authenticate)
    expect(middleware.authorize).toBe(root.authorize)
    expect(Object.keys(root.createKeygate({ authOptions: {} })).sort()).toEqual([
      'auth',
      'getAuth',
      'middleware',
      'proxy',
      'requireAuth',
      'withAuth',
    ])
  })

  it('re-exports the very error classes core throws', async () => {
    const core = await import('@keygate/core/errors')
    for (const [name, value] of Object.entries(core)) expect(root, name).toHaveProperty(name, value)
    expect(root.TokenMissingError).toBe(core.TokenMissingError)
    expect(new root.InsufficientScopeError('x').status).toBe(403)
  })
})
