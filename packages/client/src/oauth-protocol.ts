import { AuthenticationError, DiscoveryError, IssuerResponseError } from './errors.js'
import {
  callIssuer,
  type Grant,
  type IssuerCallContext,
  type IssuerProtocol,
  isTransient,
  malformed,
  REFUSALS,
  readJSONObject,
  unavailable,
} from './issuer-call.js'
import { jwtLifetimeMs } from './jwt-lifetime.js'

export interface OAuthProtocolOptions {
  issuer: string
  /** Skips discovery when given. */
  tokenEndpoint: string | undefined
  clientId: string
  key: string | undefined
  scope: string | undefined
}

/**
 * Where RFC 8414 §3.1 puts the metadata: `/.well-known/oauth-authorization-server` inserted
 * between the host and the issuer's path.
 */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  return `${url.origin}/.well-known/oauth-authorization-server${path}`
}

// RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
function basic(clientId: string, key: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  const pair = new TextEncoder().encode(`${encode(clientId)}:${encode(key)}`)
  let binary = ''
  for (const byte of pair) binary += String.fromCharCode(byte)
  return `Basic ${btoa(binary)}`
}

/**
 * The OAuth 2.0 token endpoint: `client_credentials` with the API key as the client secret
 * over HTTP Basic, `refresh_token` with the same client authentication (RFC 6749 §6: a
 * confidential client authenticates when it refreshes), the endpoint found through RFC 8414.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export function createOAuthProtocol(ctx: IssuerCallContext, options: OAuthProtocolOptions): IssuerProtocol {
  const authorization = options.key === undefined ? undefined : basic(options.clientId, options.key)
  let endpoint: Promise<string> | undefined =
    options.tokenEndpoint === undefined ? undefined : Promise.resolve(options.tokenEndpoint)

  async function discover(): Promise<string> {
    const url = metadataUrl(options.issuer)
    const response = await callIssuer(ctx, url, { headers: { accept: 'application/json' } })
    if (isTransient(response.status)) throw unavailable(ctx, response)
    if (response.status !== 200) {
      throw new DiscoveryError(`The issuer's metadata answered ${response.status}`, {
        status: response.status,
      })
    }
    const metadata = await readJSONObject(response)
    if (!metadata) throw new DiscoveryError("The issuer's metadata is not a JSON object")
    // RFC 8414 §3.3: the metadata must name the issuer we asked for, or it is not its metadata.
    if (metadata.issuer !== options.issuer) {
      throw new DiscoveryError("The issuer's metadata names another issuer")
    }
    const tokenEndpoint = metadata.token_endpoint
    if (typeof tokenEndpoint !== 'string')
      throw new DiscoveryError("The issuer's metadata has no token_endpoint")
    try {
      return new URL(tokenEndpoint).href
    } catch {
      throw new DiscoveryError("The issuer's token_endpoint is not a URL")
    }
  }

  function tokenEndpoint(): Promise<string> {
    if (!endpoint) {
      endpoint = discover()
      // A failed discovery is asked again next time (after the client's backoff), not kept.
      endpoint.catch(() => {
        endpoint = undefined
      })
    }
    return endpoint
  }

  async function post(params: Record<string, string>): Promise<Response> {
    const url = await tokenEndpoint()
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    }
    if (authorization) headers.authorization = authorization
    return callIssuer(ctx, url, { method: 'POST', headers, body: new URLSearchParams(params).toString() })
  }

  async function grant(response: Response): Promise<Grant> {
    const body = await readJSONObject(response)
    const accessToken = body?.access_token
    if (typeof accessToken !== 'string' || accessToken === '') throw malformed('token')
    const tokenType = body?.token_type
    if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
      throw new IssuerResponseError('The issuer issued a token that is not a Bearer token', { status: 200 })
    }
    const expiresIn = body?.expires_in
    // expires_in is only RECOMMENDED (RFC 6749 §5.1); without it the JWT's own exp - iat serves.
    const expiresInMs =
      typeof expiresIn === 'number' && expiresIn > 0
        ? expiresIn * 1000
        : jwtLifetimeMs(accessToken, ctx.wallClock)
    if (expiresInMs === undefined) throw malformed('token')
    const refreshToken = body?.refresh_token
    const scope = body?.scope
    return {
      accessToken,
      expiresInMs,
      ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}),
      ...(typeof scope === 'string' ? { scope } : {}),
    }
  }

  async function oauthError(response: Response): Promise<string | undefined> {
    const error = (await readJSONObject(response))?.error
    return typeof error === 'string' ? error : undefined
  }

  return {
    canAuthenticate: authorization !== undefined,

    async authenticate() {
      const params: Record<string, string> = { grant_type: 'client_credentials' }
      if (options.scope !== undefined) params.scope = options.scope
      const response = await post(params)
      if (response.status === 200) return grant(response)
      const error = await oauthError(response)
      if (isTransient(response.status)) throw unavailable(ctx, response, error)
      if (!REFUSALS.has(response.status)) {
        throw new IssuerResponseError(`The issuer answered ${response.status}`, { status: response.status })
      }
      throw new AuthenticationError(`The issuer refused the API key (${response.status})`, {
        status: response.status,
        oauthError: error,
      })
    },

    async refresh(refreshToken) {
      const response = await post({ grant_type: 'refresh_token', refresh_token: refreshToken })
      if (response.status === 200) return grant(response)
      const error = await oauthError(response)
      if (isTransient(response.status)) throw unavailable(ctx, response, error)
      // 401 is the client authentication failing (RFC 6749 §5.2 invalid_client): the key, not
      // the refresh token, was refused, and trying the key again would only fail again.
      if (response.status === 401 && authorization) {
        throw new AuthenticationError('The issuer refused the API key (401)', {
          status: 401,
          oauthError: error,
        })
      }
      // invalid_grant (revoked, expired, reused) or any other refusal: the refresh token is done.
      return undefined
    },
  }
}
