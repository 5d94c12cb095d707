import { expect, it } from 'vitest'

it('exports exactly the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "AlgorithmNotAllowedError",
      "AudienceInvalidError",
      "AuthError",
      "ClaimInvalidError",
      "ConfigurationError",
      "CrossSiteRequestError",
      "InsufficientScopeError",
      "InvalidClientError",
      "InvalidGrantError",
      "InvalidRequestError",
      "InvalidScopeError",
      "InvalidTokenError",
      "IssuerUntrustedError",
      "KeyNotFoundError",
      "KeysUnavailableError",
      "MethodNotAllowedError",
      "NotFoundError",
      "ProviderUnavailableError",
      "RateLimitedError",
      "SignatureInvalidError",
      "StoreUnavailableError",
      "TokenExpiredError",
      "TokenMalformedError",
      "TokenMissingError",
      "TokenNotYetValidError",
      "TokenRevokedError",
      "TokenTooOldError",
      "TypeInvalidError",
      "UnavailableError",
      "UnsupportedGrantTypeError",
      "authenticate",
      "authorize",
      "getAuth",
      "mountIssuer",
    ]
  `)
})
