/**
 * Turns the server's configuration into `createIssuer`'s options — the one place where
 * environment names meet core's option names.
 */
import { readFile } from 'node:fs/promises'
import { ConfigurationError, type IssuerOptions, type IssuerStore, type JWK } from '@keygate/core'
import type { ServerConfig } from './config.js'

/** What `issuerOptions` needs besides the configuration. */
export interface IssuerDependencies {
  store: IssuerStore
  encryptionKey: string
  /** The PEM (or JWK JSON) of `RSA_PRIVATE_KEY` / `RSA_PRIVATE_KEY_PATH`. */
  initialKey?: string
  clock?: () => number
  onEvent: NonNullable<IssuerOptions['onEvent']>
}

/**
 * `createIssuer`'s options for a configuration.
 *
 * @example
 * const issuer = createIssuer(issuerOptions(config, { store, encryptionKey, onEvent }))
 */
export function issuerOptions(config: ServerConfig, deps: IssuerDependencies): IssuerOptions {
  const { signing } = config
  return {
    issuer: config.issuer,
    audience: config.audience,
    store: deps.store,
    encryptionKey: deps.encryptionKey,
    signing: {
      algorithm: signing.algorithm,
      ...(signing.rotateEveryMs !== undefined ? { rotateEvery: signing.rotateEveryMs } : {}),
      ...(signing.publishAheadMs !== undefined ? { publishAhead: signing.publishAheadMs } : {}),
      ...(signing.retireAfterMs !== undefined ? { retireAfter: signing.retireAfterMs } : {}),
      ...(deps.initialKey !== undefined ? { initialKey: parseInitialKey(deps.initialKey) } : {}),
    },
    ...(config.accessTokenTtlMs !== undefined ? { accessTokenTtl: config.accessTokenTtlMs } : {}),
    ...(config.refreshTokenTtlMs !== undefined ? { refreshTokenTtl: config.refreshTokenTtlMs } : {}),
    ...(config.adminToken !== undefined ? { adminToken: config.adminToken } : {}),
    // Fastify resolves the client address (following KEYGATE_TRUST_PROXY) and mountIssuer passes it on.
    trustProxy: false,
    ...(deps.clock ? { clock: deps.clock } : {}),
    onEvent: deps.onEvent,
    jwthenticator: jwthenticatorOptions(config),
  }
}

function jwthenticatorOptions(config: ServerConfig): NonNullable<IssuerOptions['jwthenticator']> {
  const j = config.jwthenticator
  return {
    prefix: j.prefix,
    internal: j.internal,
    external: j.external,
    ...(j.leaseTimeMs !== undefined ? { leaseTime: j.leaseTimeMs } : {}),
    ...(j.audience !== undefined ? { audience: j.audience } : {}),
    ...(j.keyExpiryMs !== undefined ? { keyExpiry: j.keyExpiryMs } : {}),
    ...(j.refreshTokenExpiryMs !== undefined ? { refreshTokenExpiry: j.refreshTokenExpiryMs } : {}),
    // The same credential as the admin routes; required in production (see loadConfig).
    ...(j.internalRequiresAdmin && config.adminToken !== undefined ? { adminToken: config.adminToken } : {}),
  }
}

/** A PEM stays text; a JWK (JSON) is parsed. Invalid JSON is a `ConfigurationError` that quotes nothing of the key. */
function parseInitialKey(text: string): string | JWK {
  if (!text.trim().startsWith('{')) return text
  try {
    return JSON.parse(text) as JWK
  } catch {
    throw new ConfigurationError('RSA_PRIVATE_KEY is neither a PEM private key nor a valid JWK')
  }
}

/** Reads `RSA_PRIVATE_KEY_PATH` (or returns `RSA_PRIVATE_KEY`); a file that cannot be read is a `ConfigurationError`. */
export async function readInitialKey(config: ServerConfig): Promise<string | undefined> {
  const key = config.initialKey
  if (key === undefined) return undefined
  if ('pem' in key) return key.pem
  try {
    return await readFile(key.path, 'utf8')
  } catch (error) {
    throw new ConfigurationError(
      `RSA_PRIVATE_KEY_PATH cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${key.path}`,
    )
  }
}
