import { AuthenticationError, IssuerResponseError } from './errors.js'
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

export interface JWThenticatorProtocolOptions {
  /** The server's URL, with its `URL_PREFIX` when it has one. */
  server: string
  identifier: string
  key: string | undefined
}

/**
 * JWThenticator's `/authenticate` (`{ key, identifier }` → `{ jwt, refresh_token }`) and
 * `/refresh` (`{ refresh_token, identifier }` → `{ jwt }`), so the client works against the
 * Python server and against Keygate's compatible routes. The responses carry no `expires_in`:
 * the lifetime is the JWT's `exp - iat`, counted from receipt on the monotonic clock — never
 * the local wall clock against `exp`, which is what JWThenticator's own client does.
 */
export function createJWThenticatorProtocol(
  ctx: IssuerCallContext,
  options: JWThenticatorProtocolOptions,
): IssuerProtocol {
  const base = options.server.replace(/\/+$/, '')

  function post(path: string, body: Record<string, string>): Promise<Response> {
    return callIssuer(ctx, `${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
  }

  async function grant(response: Response): Promise<Grant> {
    const body = await readJSONObject(response)
    const jwt = body?.jwt
    if (typeof jwt !== 'string' || jwt === '') throw malformed('JWThenticator')
    const expiresInMs = jwtLifetimeMs(jwt, ctx.wallClock)
    if (expiresInMs === undefined) throw malformed('JWThenticator')
    // JWThenticator sends `refresh_token: null` from /refresh; Keygate's routes may rotate it.
    const refreshToken = body?.refresh_token
    return {
      accessToken: jwt,
      expiresInMs,
      ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}),
    }
  }

  return {
    canAuthenticate: options.key !== undefined,

    async authenticate() {
      const response = await post('/authenticate', { key: options.key ?? '', identifier: options.identifier })
      if (response.status === 200) return grant(response)
      if (isTransient(response.status)) throw unavailable(ctx, response)
      if (!REFUSALS.has(response.status)) {
        throw new IssuerResponseError(`The issuer answered ${response.status}`, { status: response.status })
      }
      throw new AuthenticationError(`The server refused the key (${response.status})`, {
        status: response.status,
      })
    },

    async refresh(refreshToken) {
      const response = await post('/refresh', { refresh_token: refreshToken, identifier: options.identifier })
      if (response.status === 200) return grant(response)
      if (isTransient(response.status)) throw unavailable(ctx, response)
      // Any other refusal ends the refresh token (JWThenticator's client does the same).
      return undefined
    },
  }
}
