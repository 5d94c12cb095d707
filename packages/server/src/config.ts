/**
 * The server's configuration, read from the environment once, at start. `loadConfig` is pure:
 * it reads only the `env` object it is given (no files, no clock), so every rule is unit-tested
 * and a bad deployment fails before it binds a port — with one message per bad value.
 */
import type { SigningAlgorithm } from '@keygate/core'

/** `production` refuses unsafe settings; `development` fills in local defaults. */
export type ServerMode = 'production' | 'development'

/** Where the issuer keeps its state. */
export type DatabaseConfig =
  | { kind: 'postgres'; connectionString: string }
  /** Embedded PGlite: a single process, for development and small single-node deployments. */
  | { kind: 'pglite'; dataDir: string }

/** The first signing key, imported from JWThenticator's `RSA_PRIVATE_KEY` / `RSA_PRIVATE_KEY_PATH`. */
export type InitialKeyConfig = { pem: string } | { path: string }

/** JWThenticator's compatible routes (see the package README). */
export interface JWThenticatorConfig {
  /** `URL_PREFIX`: the routes' path prefix, `''` or `/something`. */
  prefix: string
  /** False with `DISABLE_INTERNAL_API=true`: `/register_key` and `/is_key_registered` answer 404. */
  internal: boolean
  /** False with `DISABLE_EXTERNAL_API=true`: `/authenticate`, `/refresh`, `/validate`, `/validate_request` answer 404. */
  external: boolean
  /** The internal group requires `Authorization: Bearer <KEYGATE_ADMIN_TOKEN>` (production with an admin token). */
  internalRequiresAdmin: boolean
  /** `JWT_LEASE_TIME`, ms. */
  leaseTimeMs?: number
  /** `JWT_AUDIENCE`: `aud` of the compatible tokens; none when unset (as JWThenticator). */
  audience?: string[]
  /** `KEY_EXPIRY`, ms. */
  keyExpiryMs?: number
  /** `REFRESH_TOKEN_EXPIRY`, ms. */
  refreshTokenExpiryMs?: number
}

/** Everything `createServer` needs; what `loadConfig` returns. Durations are milliseconds. */
export interface ServerConfig {
  mode: ServerMode
  port: number
  host: string
  /** The public URL: every token's `iss` and the metadata's issuer identifier. */
  issuer: string
  /** Default `aud` of OAuth tokens (`KEYGATE_AUDIENCE`, default the issuer URL). */
  audience: string[]
  database: DatabaseConfig
  /** PostgreSQL schema of the store's tables (`KEYGATE_DB_SCHEMA`); the store's default when unset. */
  schema?: string
  /** Holds PGlite's files and, in development, the generated encryption secret. */
  dataDir: string
  /** `KEYGATE_KEY_ENCRYPTION_SECRET`; unset only in development (then kept in `dataDir`). */
  encryptionSecret?: string
  /** `KEYGATE_ADMIN_TOKEN`: the admin routes and, in production, JWThenticator's internal group. */
  adminToken?: string
  signing: {
    algorithm: SigningAlgorithm
    rotateEveryMs?: number
    publishAheadMs?: number
    retireAfterMs?: number
  }
  accessTokenTtlMs?: number
  refreshTokenTtlMs?: number
  initialKey?: InitialKeyConfig
  jwthenticator: JWThenticatorConfig
  /** Behind a proxy you control: client addresses from `X-Forwarded-For`. */
  trustProxy: boolean
  logLevel: LogLevel
  /** Largest request body, bytes. */
  bodyLimit: number
  /** Whole-request timeout (Fastify `requestTimeout`). */
  requestTimeoutMs: number
  /** Idle socket timeout (Fastify `connectionTimeout`). */
  connectionTimeoutMs: number
  /** How long a graceful shutdown may take before the process gives up (exit code 1). */
  shutdownTimeoutMs: number
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** `loadConfig`'s answer: the configuration and what deserves a line at start, or every problem found. */
export type LoadConfigResult =
  | { ok: true; config: ServerConfig; notices: string[] }
  | { ok: false; errors: string[] }

export const DEFAULT_PORT = 8080
export const DEFAULT_HOST = '0.0.0.0'
export const DEFAULT_DATA_DIR = './.keygate'
// JWThenticator's default: its Python client decodes `exp` with `algorithms=[JWT_ALGORITHM]`.
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'RS256'
// Issuer requests are small forms and JSON documents.
export const DEFAULT_BODY_LIMIT = 64 * 1024
// Long enough for a slow database round trip or two, short enough that a stuck client cannot hold a socket.
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
export const DEFAULT_CONNECTION_TIMEOUT_MS = 60_000
// Orchestrators send SIGKILL after ~30 s; finishing well before leaves room for the store to close.
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000
// core's createIssuer needs at least 32 characters for either secret.
const MIN_SECRET_LENGTH = 32
const ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256']
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
// environs (JWThenticator's config reader) accepts these, case-insensitively.
const TRUE = new Set(['true', 't', 'yes', 'y', 'on', '1'])
const FALSE = new Set(['false', 'f', 'no', 'n', 'off', '0'])
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** The environment as `process.env` has it. */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * Reads and checks the configuration from environment variables (see the README's table).
 * Pure: reads nothing but `env`. Production refuses unsafe settings and says why.
 *
 * @example
 * const result = loadConfig(process.env)
 * if (!result.ok) {
 *   console.error(`keygate-server: ${result.errors.join('; ')}`)
 *   process.exit(1)
 * }
 */
export function loadConfig(env: Env): LoadConfigResult {
  const errors: string[] = []
  const notices: string[] = []
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const fail = (message: string) => {
    errors.push(message)
    return undefined
  }

  const integer = (name: string, min: number, max: number): number | undefined => {
    const raw = read(name)
    if (raw === undefined) return undefined
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
      return fail(`${name} must be an integer from ${min} to ${max}`)
    return Number(raw)
  }
  const boolean = (name: string): boolean | undefined => {
    const raw = read(name)?.toLowerCase()
    if (raw === undefined) return undefined
    if (TRUE.has(raw)) return true
    if (FALSE.has(raw)) return false
    return fail(`${name} must be true or false`)
  }
  // JWThenticator's durations are whole seconds; Keygate's also take a unit ('90s', '15m', '30d').
  const duration = (name: string): number | undefined => {
    const raw = read(name)
    if (raw === undefined) return undefined
    const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw)
    const ms = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 's']! : 0
    if (!match || ms <= 0 || !Number.isSafeInteger(ms))
      return fail(`${name} must be a positive number of seconds or a duration like 90s, 15m, 30d`)
    return ms
  }
  const secret = (name: string): string | undefined => {
    const raw = env[name]
    if (raw === undefined || raw === '') return undefined
    if (raw.length < MIN_SECRET_LENGTH)
      return fail(`${name} must be at least ${MIN_SECRET_LENGTH} characters`)
    return raw
  }
  const list = (name: string): string[] | undefined => {
    const raw = read(name)
    if (raw === undefined) return undefined
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
    return items.length > 0 ? items : fail(`${name} must be a comma-separated list of at least one value`)
  }

  const modeRaw = read('KEYGATE_ENV') ?? 'production'
  const mode: ServerMode = modeRaw === 'development' ? 'development' : 'production'
  if (modeRaw !== 'production' && modeRaw !== 'development')
    fail('KEYGATE_ENV must be production or development')
  const production = mode === 'production'

  const port = integer('PORT', 0, 65535) ?? DEFAULT_PORT
  const host = read('HOST') ?? DEFAULT_HOST

  let issuer = read('KEYGATE_ISSUER')
  if (issuer !== undefined) {
    const url = parseURL(issuer)
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash)
      issuer = fail('KEYGATE_ISSUER must be an http(s) URL without query or fragment')
  } else if (production) {
    fail('KEYGATE_ISSUER is required in production: the public URL clients reach this issuer at')
  } else {
    issuer = `http://localhost:${port}`
  }
  const audience = list('KEYGATE_AUDIENCE') ?? (issuer ? [issuer] : [])

  const dataDir = read('KEYGATE_DATA_DIR') ?? DEFAULT_DATA_DIR
  const database = readDatabase(read, fail, dataDir)
  const schema = read('KEYGATE_DB_SCHEMA')
  if (schema !== undefined && !SCHEMA_NAME.test(schema))
    fail(
      'KEYGATE_DB_SCHEMA must be a PostgreSQL identifier: letters, digits and _, not starting with a digit, at most 63 characters',
    )

  const encryptionSecret = secret('KEYGATE_KEY_ENCRYPTION_SECRET')
  if (!env.KEYGATE_KEY_ENCRYPTION_SECRET && production)
    fail('KEYGATE_KEY_ENCRYPTION_SECRET is required in production: it encrypts the signing keys at rest')
  const adminToken = secret('KEYGATE_ADMIN_TOKEN')

  const jwtAlgorithm = read('JWT_ALGORITHM')
  const keygateAlgorithm = read('KEYGATE_SIGNING_ALGORITHM')
  let algorithm = DEFAULT_SIGNING_ALGORITHM
  for (const [name, value] of [
    ['JWT_ALGORITHM', jwtAlgorithm],
    ['KEYGATE_SIGNING_ALGORITHM', keygateAlgorithm],
  ] as const) {
    if (value === undefined) continue
    if (!ALGORITHMS.includes(value as SigningAlgorithm))
      fail(`${name} must be one of ${ALGORITHMS.join(', ')}`)
    else algorithm = value as SigningAlgorithm
  }
  if (jwtAlgorithm && keygateAlgorithm && jwtAlgorithm !== keygateAlgorithm)
    fail('JWT_ALGORITHM and KEYGATE_SIGNING_ALGORITHM disagree; set one of them')

  let initialKey: InitialKeyConfig | undefined
  const pem = env.RSA_PRIVATE_KEY
  const pemPath = read('RSA_PRIVATE_KEY_PATH')
  if (pem && pemPath) fail('RSA_PRIVATE_KEY and RSA_PRIVATE_KEY_PATH are both set; set one of them')
  else if (pem) {
    // Environment files often carry a PEM on one line with literal "\n" separators.
    const text = pem.includes('\\n') ? pem.replaceAll('\\n', '\n') : pem
    if (!text.includes('-----BEGIN') && !text.trim().startsWith('{'))
      fail('RSA_PRIVATE_KEY must be a PEM private key (or a private JWK)')
    else initialKey = { pem: text }
  } else if (pemPath) initialKey = { path: pemPath }
  if (initialKey && algorithm !== 'RS256')
    fail(
      `RSA_PRIVATE_KEY${'path' in initialKey ? '_PATH' : ''} is an RS256 key, but the signing algorithm is ${algorithm}`,
    )

  const internal = !(boolean('DISABLE_INTERNAL_API') ?? false)
  const external = !(boolean('DISABLE_EXTERNAL_API') ?? false)
  let prefix = read('URL_PREFIX') ?? ''
  if (prefix !== '') {
    if (!prefix.startsWith('/')) prefix = `/${prefix}`
    prefix = prefix.replace(/\/+$/, '')
    if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix))
      fail('URL_PREFIX must be a path like /jwthenticator (letters, digits, . _ ~ -)')
  }
  // JWThenticator leaves /register_key open to whoever reaches it. In production Keygate
  // refuses that when the same instance faces the public (external group) too.
  const internalRequiresAdmin = production && internal && adminToken !== undefined
  if (production && internal && external && !env.KEYGATE_ADMIN_TOKEN)
    fail(
      'KEYGATE_ADMIN_TOKEN is required in production while the internal API (/register_key) is served next to the external one: set it, or DISABLE_INTERNAL_API=true, or run an internal-only instance with DISABLE_EXTERNAL_API=true',
    )
  else if (internal && !internalRequiresAdmin)
    notices.push(
      production
        ? 'the internal API (/register_key, /is_key_registered) is open without credentials: this instance serves only the internal group (DISABLE_EXTERNAL_API=true); keep it off the public network'
        : 'the internal API (/register_key, /is_key_registered) is open without credentials (development mode)',
    )

  const jwthenticator: JWThenticatorConfig = {
    prefix,
    internal,
    external,
    internalRequiresAdmin,
    ...defined('leaseTimeMs', duration('JWT_LEASE_TIME')),
    ...defined('audience', list('JWT_AUDIENCE')),
    ...defined('keyExpiryMs', duration('KEY_EXPIRY')),
    ...defined('refreshTokenExpiryMs', duration('REFRESH_TOKEN_EXPIRY')),
  }

  const logLevelRaw = read('KEYGATE_LOG_LEVEL') ?? read('LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevelRaw as LogLevel))
    fail(`KEYGATE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)

  const config: ServerConfig = {
    mode,
    port,
    host,
    issuer: issuer ?? '',
    audience,
    database: database ?? { kind: 'pglite', dataDir },
    ...defined('schema', schema),
    dataDir,
    ...defined('encryptionSecret', encryptionSecret),
    ...defined('adminToken', adminToken),
    signing: {
      algorithm,
      ...defined('rotateEveryMs', duration('KEYGATE_ROTATE_EVERY')),
      ...defined('publishAheadMs', duration('KEYGATE_PUBLISH_AHEAD')),
      ...defined('retireAfterMs', duration('KEYGATE_RETIRE_AFTER')),
    },
    ...defined('accessTokenTtlMs', duration('KEYGATE_ACCESS_TOKEN_TTL')),
    ...defined('refreshTokenTtlMs', duration('KEYGATE_REFRESH_TOKEN_TTL')),
    ...defined('initialKey', initialKey),
    jwthenticator,
    trustProxy: boolean('KEYGATE_TRUST_PROXY') ?? false,
    logLevel: logLevelRaw as LogLevel,
    bodyLimit: integer('KEYGATE_BODY_LIMIT', 1024, 16 * 1024 * 1024) ?? DEFAULT_BODY_LIMIT,
    requestTimeoutMs: duration('KEYGATE_REQUEST_TIMEOUT') ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: duration('KEYGATE_CONNECTION_TIMEOUT') ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    shutdownTimeoutMs: duration('KEYGATE_SHUTDOWN_TIMEOUT') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
  }
  if (database?.kind === 'pglite') notices.push(`no DATABASE_URL: embedded PGlite in ${dataDir}`)
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config, notices }
}

/** `DATABASE_URL`, else JWThenticator's `DB_URI`, else its `DB_HOST`/`DB_NAME`/… parts, else PGlite. */
function readDatabase(
  read: (name: string) => string | undefined,
  fail: (message: string) => undefined,
  dataDir: string,
): DatabaseConfig | undefined {
  const databaseURL = read('DATABASE_URL')
  const dbURI = read('DB_URI')
  if (databaseURL && dbURI && databaseURL !== dbURI)
    return fail('DATABASE_URL and DB_URI disagree; set one of them')
  const name = databaseURL ? 'DATABASE_URL' : 'DB_URI'
  let connectionString = databaseURL ?? dbURI
  if (connectionString === undefined && (read('DB_HOST') || read('DB_NAME') || read('DB_USER'))) {
    // JWThenticator's defaults for the parts it builds its URI from.
    const user = encodeURIComponent(read('DB_USER') ?? 'postgres')
    const password = read('DB_PASS')
    const auth = password ? `${user}:${encodeURIComponent(password)}` : user
    connectionString = `postgresql://${auth}@${read('DB_HOST') ?? 'localhost'}/${encodeURIComponent(read('DB_NAME') ?? 'jwthenticator')}`
  }
  if (connectionString === undefined) return { kind: 'pglite', dataDir }
  // SQLAlchemy URLs name the driver (`postgresql+pg8000://`); the URL is otherwise the same.
  connectionString = connectionString.replace(/^postgres(?:ql)?\+[a-z0-9_]+:\/\//i, 'postgresql://')
  const url = parseURL(connectionString)
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:'))
    return fail(`${name} must be a postgres:// or postgresql:// URL`)
  return { kind: 'postgres', connectionString }
}

function parseURL(value: string): URL | undefined {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/** `{ [key]: value }` when the value is set, `{}` otherwise: keeps optional members absent. */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V })
}
