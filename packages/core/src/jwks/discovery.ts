import { toMs } from '../duration.js'
import { ConfigurationError, KeysUnavailableError } from '../errors.js'
import type { Duration } from '../types.js'
import { FetchFailure, httpGet, parseJSON } from './http-get.js'

/** Abort a metadata fetch after this long: same budget as a JWKS fetch. */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5_000
/** Metadata documents are a few KiB; anything this large is broken or hostile. */
export const DEFAULT_DISCOVERY_MAX_BODY_BYTES = 512 * 1024
/** `Retry-After` of a failed standalone discovery: the default JWKS cooldown. */
const DISCOVERY_RETRY_AFTER_S = 30

/** Options of `discoverJWKSUri`. */
export interface DiscoveryOptions {
  /** Injected `fetch`. Default the global one. */
  fetch?: typeof fetch
  /** Abort each metadata request after this long. Default 5 s. */
  timeout?: Duration
  /** Largest accepted metadata document. Default 512 KiB. */
  maxBodyBytes?: number
  /** Cancels the lookup from outside. */
  signal?: AbortSignal
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The OpenID Connect location: the well-known suffix appended to the issuer (OIDC Discovery §4). */
function openIDConfigurationUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
}

/** The RFC 8414 location: the well-known segment goes *before* the issuer's path (§3.1). */
function authorizationServerMetadataUrl(issuer: string): string {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  return `${url.origin}/.well-known/oauth-authorization-server${path}`
}

/**
 * `jwks_uri` must be https: keys fetched in clear could be swapped by anyone on the path.
 * Plain http is tolerated only on loopback, where there is no path to attack (local tests).
 */
function checkJWKSUri(value: unknown): string {
  if (typeof value !== 'string') throw new FetchFailure('shape', 'metadata has no "jwks_uri" string')
  let url: URL
  try {
    url = new URL(value)
  } catch (error) {
    throw new FetchFailure('shape', 'metadata "jwks_uri" is not a URL', 0, { cause: error })
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  if (!secure) throw new FetchFailure('shape', 'metadata "jwks_uri" must be https')
  return value
}

/** Fetches one metadata document and returns its checked `jwks_uri`; `undefined` on 404. */
async function fetchMetadata(
  url: string,
  issuer: string,
  options: { fetch: typeof fetch; timeoutMs: number; maxBodyBytes: number; signal?: AbortSignal },
): Promise<string | undefined> {
  const response = await httpGet(url, options)
  if (response.status === 404) return undefined
  if (response.status !== 200) {
    throw new FetchFailure('status', `metadata answered ${response.status}`, response.status)
  }
  const document = parseJSON(response.text, response.status)
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new FetchFailure('shape', 'metadata is not a JSON object', response.status)
  }
  const record = document as Record<string, unknown>
  // An exact match stops one issuer's metadata from vouching for another's keys
  // (OIDC Discovery §4.3, RFC 8414 §3.3).
  if (record.issuer !== issuer) {
    throw new FetchFailure(
      'issuer',
      'metadata "issuer" does not equal the configured issuer',
      response.status,
    )
  }
  return checkJWKSUri(record.jwks_uri)
}

/** Core of discovery, failing with a `FetchFailure`; the remote source calls this directly. */
export async function lookupJWKSUri(
  issuer: string,
  options: { fetch: typeof fetch; timeoutMs: number; maxBodyBytes: number; signal?: AbortSignal },
): Promise<string> {
  const fromOpenID = await fetchMetadata(openIDConfigurationUrl(issuer), issuer, options)
  if (fromOpenID !== undefined) return fromOpenID
  const fromRFC8414 = await fetchMetadata(authorizationServerMetadataUrl(issuer), issuer, options)
  if (fromRFC8414 !== undefined) return fromRFC8414
  throw new FetchFailure('status', 'no metadata document found', 404)
}

/**
 * Finds an issuer's JWKS URL from its metadata: `<issuer>/.well-known/openid-configuration`,
 * then, on 404, RFC 8414's `/.well-known/oauth-authorization-server` (inserted before the
 * issuer's path). The document's `issuer` must equal `issuer` exactly and its `jwks_uri` must
 * be https (http only on loopback). Fails with `KeysUnavailableError` (503).
 *
 * @example
 * const jwksUri = await discoverJWKSUri('https://login.example.com/tenant')
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function discoverJWKSUri(issuer: string, options: DiscoveryOptions = {}): Promise<string> {
  checkIssuer(issuer)
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  try {
    return await lookupJWKSUri(issuer, {
      fetch: fetchImpl,
      timeoutMs: toMs(options.timeout ?? DEFAULT_DISCOVERY_TIMEOUT_MS, 'timeout'),
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_DISCOVERY_MAX_BODY_BYTES,
      ...(options.signal ? { signal: options.signal } : {}),
    })
  } catch (error) {
    throw new KeysUnavailableError('The issuer metadata could not be fetched', DISCOVERY_RETRY_AFTER_S, {
      cause: error,
    })
  }
}

/** An issuer for discovery must be an absolute http(s) URL; checked once, at construction. */
export function checkIssuer(issuer: string): void {
  let url: URL
  try {
    url = new URL(issuer)
  } catch (error) {
    throw new ConfigurationError('issuer must be an absolute URL for discovery', { cause: error })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError('issuer must be an http(s) URL for discovery')
  }
}
