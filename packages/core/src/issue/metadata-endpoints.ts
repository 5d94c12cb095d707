import type { IssuerContext } from './context.js'
import type { IssuerRequestHead, IssuerResponse } from './exchange.js'

/**
 * `GET /.well-known/jwks.json` (RFC 7517 §5) with `Cache-Control: max-age` shorter than
 * `publishAhead` — a verifier's cached copy always learns a new key before it signs — and an
 * ETag for cheap revalidation (RFC 9110 §13.1.2).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export async function jwksEndpoint(ctx: IssuerContext, request: IssuerRequestHead): Promise<IssuerResponse> {
  const keys = await ctx.keyRing.published()
  const body = JSON.stringify({ keys })
  const etag = `"${keys.map((k) => k.kid).join('.')}"`
  const headers = {
    'content-type': 'application/json',
    'cache-control': `public, max-age=${ctx.jwksMaxAgeSeconds}`,
    etag,
  }
  if (request.headers.get('if-none-match') === etag) return { status: 304, headers, body: null }
  return { status: 200, headers, body: request.method === 'HEAD' ? null : body }
}

/**
 * `GET /.well-known/oauth-authorization-server` (RFC 8414 §3). No
 * `/.well-known/openid-configuration`: OpenID Provider metadata requires an
 * `authorization_endpoint`, `subject_types_supported` and `id_token_signing_alg_values_supported`
 * (OpenID Connect Discovery 1.0 §3), and this issuer has no authorization endpoint and issues no
 * ID tokens — an invalid document is worse than none. Verifiers (Keygate's included) fall back
 * to RFC 8414 when the OpenID document is missing.
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export function metadataEndpoint(ctx: IssuerContext, request: IssuerRequestHead): IssuerResponse {
  const base = ctx.publicUrl
  const clientAuth = ['client_secret_basic', 'client_secret_post']
  const body = {
    issuer: ctx.issuer,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    grant_types_supported: ['client_credentials', 'refresh_token'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: clientAuth,
    revocation_endpoint_auth_methods_supported: [...clientAuth, 'none'],
    introspection_endpoint_auth_methods_supported: [...clientAuth, 'bearer'],
    access_token_signing_alg_values_supported: ['EdDSA', 'ES256', 'RS256'],
  }
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': `public, max-age=${ctx.jwksMaxAgeSeconds}`,
    },
    body: request.method === 'HEAD' ? null : JSON.stringify(body),
  }
}
