import { createPrincipalResolver, type PrincipalResolver } from '../authorize/principal.js'
import { toMs } from '../duration.js'
import { ConfigurationError } from '../errors.js'
import { createStaticJWKS } from '../jwks/static.js'
import type { JWKSCacheOptions, JWKSSource } from '../jwks/types.js'
import type { JWTClaims } from '../types.js'
import type { ClaimPolicy } from './claims.js'
import { DEFAULT_TOKEN_TYPES, type HeaderPolicy, normalizeTyp, type TypPolicy } from './header.js'
import { hashBits, type SignatureBackend, type SignatureCheck } from './signature.js'
import type { Algorithm, AuthOptions, IssuerConfig } from './types.js'

/** The algorithms mainstream issuers sign with; HMAC needs an explicit secret, so it is not here. */
export const DEFAULT_ALGORITHMS: readonly Algorithm[] = ['RS256', 'ES256', 'EdDSA']
/** Clock skew between issuer and verifier that is forgiven on `exp`/`nbf`/`iat`. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 60_000
/** Real access tokens are well under 2 KiB; 8 KiB leaves room for fat claim sets, not for abuse. */
export const DEFAULT_MAX_TOKEN_BYTES = 8 * 1024

const ASYMMETRIC = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])
const HMAC = new Set(['HS256', 'HS384', 'HS512'])

/** Creates a remote (cached, refreshed) source for an issuer without static keys. */
export type RemoteSourceFactory = (
  options: JWKSCacheOptions & ({ jwksUri: string } | { issuer: string }),
) => JWKSSource

/** One configured issuer, every option checked and converted once. */
export interface ResolvedIssuer<C extends JWTClaims = JWTClaims> {
  readonly issuer: string
  readonly header: HeaderPolicy
  readonly claims: ClaimPolicy
  /** Key source for asymmetric algorithms; `undefined` when the issuer only has a secret. */
  readonly source: JWKSSource | undefined
  /** Whether `close()` should close the source (it was created here, not passed in). */
  readonly ownsSource: boolean
  /** HMAC checks by algorithm, built once from the secret. */
  readonly secretChecks: ReadonlyMap<string, SignatureCheck>
  /** Synchronous when every provider is (claim providers): no promise per verification. */
  readonly buildPrincipal: PrincipalResolver<C>
}

/** Options common to every issuer, resolved from the top level. */
export interface ResolvedOptions<C extends JWTClaims = JWTClaims> {
  readonly issuers: ReadonlyMap<string, ResolvedIssuer<C>>
  readonly maxTokenBytes: number
  readonly clock: () => number
  readonly tokenCache: { max: number; ttlMs: number | undefined } | undefined
}

// A cache without a bound on entries would let distinct valid tokens grow memory without limit.
const DEFAULT_TOKEN_CACHE_MAX = 10_000

// Options only the single-issuer shorthand may set at the top level: with `issuers`, each
// issuer names its own key source.
const SHORTHAND_ONLY = ['jwksUri', 'keys', 'secret', 'source'] as const

function fail(message: string): never {
  throw new ConfigurationError(message)
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0
}

function isURL(value: string): boolean {
  try {
    new URL(value)
    return true
  } catch {
    return false
  }
}

function audiences(config: IssuerConfig, where: string): readonly string[] | undefined {
  const { audience } = config
  if (audience === false) return undefined
  if (audience === undefined)
    fail(`${where}: audience is required (set audience: false to accept any, on purpose)`)
  const list = typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'string' && a !== '')) {
    fail(`${where}: audience must be a non-empty string or a non-empty array of them`)
  }
  return Object.freeze([...list])
}

function algorithms(
  config: IssuerConfig,
  fallback: readonly Algorithm[] | undefined,
  where: string,
): Set<string> {
  const list = config.algorithms ?? fallback ?? DEFAULT_ALGORITHMS
  if (!Array.isArray(list) || list.length === 0) fail(`${where}: algorithms must be a non-empty array`)
  for (const alg of list) {
    if (!ASYMMETRIC.has(alg) && !HMAC.has(alg)) fail(`${where}: unsupported algorithm '${String(alg)}'`)
  }
  return new Set(list)
}

function secretBytes(secret: unknown, where: string): Uint8Array | undefined {
  if (secret === undefined) return undefined
  if (typeof secret === 'string') return new TextEncoder().encode(secret)
  if (secret instanceof Uint8Array) return secret.slice()
  return fail(`${where}: secret must be a string or a Uint8Array`)
}

// `typ: 'at+jwt'` (one required type, as before), a list (`null` accepts an untyped token),
// `false` (no check), or the default list.
function typPolicy(typ: IssuerConfig['typ'], where: string): TypPolicy | undefined {
  if (typ === false) return undefined
  const list = typ === undefined ? DEFAULT_TOKEN_TYPES : typeof typ === 'string' ? [typ] : typ
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((t) => t === null || (typeof t === 'string' && t !== ''))
  ) {
    fail(`${where}: typ must be a non-empty string, an array of them (null for untyped tokens) or false`)
  }
  const types = new Set<string>()
  for (const t of list) if (t !== null) types.add(normalizeTyp(t))
  return { types, untyped: list.includes(null) }
}

function sourceOf(
  config: IssuerConfig,
  jwks: JWKSCacheOptions,
  remote: RemoteSourceFactory,
  where: string,
): { source: JWKSSource; owns: boolean } {
  const given = [config.keys, config.jwksUri, config.source].filter((v) => v !== undefined).length
  if (given > 1) fail(`${where}: set only one of keys, jwksUri and source`)
  if (config.source !== undefined) {
    const s = config.source as Partial<JWKSSource>
    if (typeof s.getKey !== 'function' || typeof s.peek !== 'function')
      fail(`${where}: source must be a JWKSSource`)
    return { source: config.source, owns: false }
  }
  if (config.keys !== undefined) return { source: createStaticJWKS(config.keys), owns: true }
  if (config.jwksUri !== undefined) {
    if (typeof config.jwksUri !== 'string' || !isURL(config.jwksUri)) fail(`${where}: jwksUri must be a URL`)
    return { source: remote({ ...jwks, jwksUri: config.jwksUri }), owns: true }
  }
  // Discovery from the issuer's metadata (OIDC Discovery §4, RFC 8414 §3).
  return { source: remote({ ...jwks, issuer: config.issuer }), owns: true }
}

function resolveIssuer<C extends JWTClaims>(
  config: IssuerConfig,
  top: AuthOptions<C>,
  backend: SignatureBackend,
  remote: RemoteSourceFactory,
  where: string,
): ResolvedIssuer<C> {
  if (typeof config.issuer !== 'string' || config.issuer === '')
    fail(`${where}: issuer must be a non-empty string`)
  const algs = algorithms(config, top.algorithms, where)
  const hmacAlgs = [...algs].filter((a) => HMAC.has(a))
  const asymmetric = [...algs].some((a) => ASYMMETRIC.has(a))
  const secret = secretBytes(config.secret, where)

  // RFC 8725 §3.1/§2.1: HMAC with a public key as the secret is the classic confusion attack;
  // HS* is accepted only with a secret configured for exactly that purpose.
  if (hmacAlgs.length > 0 && secret === undefined) fail(`${where}: HS* algorithms need a secret`)
  if (secret !== undefined && hmacAlgs.length === 0)
    fail(`${where}: a secret needs an HS* algorithm in algorithms`)
  const secretChecks = new Map<string, SignatureCheck>()
  for (const alg of hmacAlgs) {
    // RFC 7518 §3.2: the key must be at least as long as the hash output.
    if (secret!.length < hashBits(alg) / 8) fail(`${where}: the secret is too short for ${alg}`)
    secretChecks.set(alg, backend.forSecret(secret!, alg))
  }

  let source: JWKSSource | undefined
  let ownsSource = false
  if (asymmetric) {
    if (secret !== undefined && config.keys === undefined && config.jwksUri === undefined && !config.source) {
      fail(`${where}: asymmetric algorithms next to a secret need keys, jwksUri or source`)
    }
    const jwks: JWKSCacheOptions = { ...top.jwks, ...config.jwks }
    if (jwks.fetch === undefined && top.fetch !== undefined) jwks.fetch = top.fetch
    if (jwks.clock === undefined && top.clock !== undefined) jwks.clock = top.clock
    const resolved = sourceOf(config, jwks, remote, where)
    source = resolved.source
    ownsSource = resolved.owns
  } else if (config.keys !== undefined || config.jwksUri !== undefined || config.source !== undefined) {
    fail(`${where}: keys, jwksUri and source need an asymmetric algorithm in algorithms`)
  }

  const typ = typPolicy(config.typ ?? top.typ, where)
  const requireExp = config.requireExp ?? top.requireExp ?? true
  if (typeof requireExp !== 'boolean') fail(`${where}: requireExp must be a boolean`)
  const required = config.requiredClaims ?? top.requiredClaims ?? []
  if (!Array.isArray(required) || !required.every((c) => typeof c === 'string' && c !== '')) {
    fail(`${where}: requiredClaims must be an array of claim names`)
  }
  const tolerance = config.clockTolerance ?? top.clockTolerance
  const maxAge = config.maxTokenAge ?? top.maxTokenAge
  const providers = config.providers ?? top.providers ?? {}

  return {
    issuer: config.issuer,
    header: { algorithms: algs, typ },
    claims: {
      audiences: audiences(config, where),
      audienceClaim: providers.audienceClaim,
      toleranceMs:
        tolerance === undefined ? DEFAULT_CLOCK_TOLERANCE_MS : toMs(tolerance, `${where}: clockTolerance`),
      maxAgeMs: maxAge === undefined ? undefined : toMs(maxAge, `${where}: maxTokenAge`),
      requireExp,
      requiredClaims: Object.freeze([...required]),
    },
    source,
    ownsSource,
    secretChecks,
    buildPrincipal: createPrincipalResolver<C>(providers, { claims: top.claims as AuthOptions<C>['claims'] }),
  }
}

/**
 * Checks every `createAuth` option once, at construction, and turns it into the issuer
 * registry the verifier reads per request. Any mistake is a `ConfigurationError` here, never a
 * surprise on the first request.
 */
export function resolveOptions<C extends JWTClaims>(
  options: AuthOptions<C>,
  backend: SignatureBackend,
  remote: RemoteSourceFactory,
): ResolvedOptions<C> {
  if (typeof options !== 'object' || options === null) fail('createAuth needs an options object')
  let configs: readonly IssuerConfig[]
  if (options.issuers !== undefined) {
    if (options.issuer !== undefined || options.audience !== undefined) {
      fail('Use either issuers or the issuer/audience shorthand, not both')
    }
    for (const name of SHORTHAND_ONLY) {
      if (options[name] !== undefined) fail(`${name} belongs on an issuer when issuers is used`)
    }
    if (!Array.isArray(options.issuers) || options.issuers.length === 0)
      fail('issuers must be a non-empty array')
    configs = options.issuers
  } else {
    if (options.issuer === undefined) fail('No issuer configured: set issuer (and audience) or issuers')
    configs = [{ ...options, issuer: options.issuer, audience: options.audience } as IssuerConfig]
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') fail('clock must be a function')
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('fetch must be a function')
  const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES
  if (!isPositiveInteger(maxTokenBytes)) fail('maxTokenBytes must be a positive integer')

  let tokenCache: ResolvedOptions['tokenCache']
  if (options.tokenCache !== undefined && options.tokenCache !== false) {
    const { max = DEFAULT_TOKEN_CACHE_MAX, ttl } = options.tokenCache
    if (!isPositiveInteger(max)) fail('tokenCache.max must be a positive integer')
    tokenCache = { max, ttlMs: ttl === undefined ? undefined : toMs(ttl, 'tokenCache.ttl') }
  }

  const issuers = new Map<string, ResolvedIssuer<C>>()
  const created: ResolvedIssuer<C>[] = []
  try {
    configs.forEach((config, index) => {
      const where = options.issuers === undefined ? 'createAuth' : `issuers[${index}]`
      if (typeof config !== 'object' || config === null) fail(`${where} must be an object`)
      const resolved = resolveIssuer<C>(config, options, backend, remote, where)
      created.push(resolved)
      if (issuers.has(resolved.issuer)) fail(`${where}: issuer '${resolved.issuer}' is configured twice`)
      issuers.set(resolved.issuer, resolved)
    })
  } catch (error) {
    // Sources made for the issuers before the mistake must not keep timers alive.
    for (const issuer of created) if (issuer.ownsSource) issuer.source?.close()
    throw error
  }
  return { issuers, maxTokenBytes, clock: options.clock ?? Date.now, tokenCache }
}
