import { describe, expect, it } from 'vitest'
import { type Env, loadConfig, type ServerConfig } from './config.js'

const SECRET = 's'.repeat(32)
const ADMIN = 'a'.repeat(40)
const PRODUCTION: Env = {
  KEYGATE_ISSUER: 'https://auth.example.com',
  KEYGATE_KEY_ENCRYPTION_SECRET: SECRET,
  KEYGATE_ADMIN_TOKEN: ADMIN,
  DATABASE_URL: 'postgres://keygate@db:5432/keygate',
}

function ok(env: Env): ServerConfig {
  const result = loadConfig(env)
  if (!result.ok) throw new Error(`expected a configuration, got: ${result.errors.join('; ')}`)
  return result.config
}

/** The variables each error names, in order: a test asserts which values were refused, not wording. */
function refused(env: Env): string[] {
  const result = loadConfig(env)
  if (result.ok) throw new Error('expected errors')
  return result.errors.map((error) => /^[A-Z_]+/.exec(error)?.[0] ?? error)
}

describe('loadConfig', () => {
  it('has the documented defaults in development', () => {
    const result = loadConfig({ KEYGATE_ENV: 'development' })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const { config } = result
    expect(config).toMatchObject({
      mode: 'development',
      port: 8080,
      host: '0.0.0.0',
      issuer: 'http://localhost:8080',
      audience: ['http://localhost:8080'],
      database: { kind: 'pglite', dataDir: './.keygate' },
      dataDir: './.keygate',
      signing: { algorithm: 'RS256' },
      jwthenticator: { prefix: '', internal: true, external: true, internalRequiresAdmin: false },
      trustProxy: false,
      logLevel: 'info',
      bodyLimit: 65536,
      requestTimeoutMs: 30_000,
    })
    expect(config.encryptionSecret).toBeUndefined()
    expect(config.adminToken).toBeUndefined()
    expect(config.jwthenticator.leaseTimeMs).toBeUndefined()
    // Development says that the internal group is open, and where the data lives.
    expect(result.notices).toHaveLength(2)
  })

  it('defaults to production, which requires an issuer URL, an encryption secret and an admin token', () => {
    expect(refused({})).toEqual(['KEYGATE_ISSUER', 'KEYGATE_KEY_ENCRYPTION_SECRET', 'KEYGATE_ADMIN_TOKEN'])
    const config = ok(PRODUCTION)
    expect(config.mode).toBe('production')
    expect(config.database).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://keygate@db:5432/keygate',
    })
    expect(config.jwthenticator.internalRequiresAdmin).toBe(true)
  })

  it('lets a production instance without admin token leave the internal group open only when it serves no external group', () => {
    const { KEYGATE_ADMIN_TOKEN: _, ...noAdmin } = PRODUCTION
    expect(refused(noAdmin)).toEqual(['KEYGATE_ADMIN_TOKEN'])
    const internalOnly = loadConfig({ ...noAdmin, DISABLE_EXTERNAL_API: 'true' })
    expect(internalOnly.ok).toBe(true)
    if (!internalOnly.ok) return
    expect(internalOnly.config.jwthenticator).toMatchObject({
      internal: true,
      external: false,
      internalRequiresAdmin: false,
    })
    expect(internalOnly.notices).toHaveLength(1)
    expect(ok({ ...noAdmin, DISABLE_INTERNAL_API: 'yes' }).jwthenticator).toMatchObject({
      internal: false,
      external: true,
    })
  })

  it('refuses every bad value at once, one message each', () => {
    const errors = refused({
      KEYGATE_ENV: 'staging',
      PORT: '80a',
      KEYGATE_ISSUER: 'ftp://x',
      KEYGATE_KEY_ENCRYPTION_SECRET: 'short',
      KEYGATE_ADMIN_TOKEN: 'short',
      JWT_ALGORITHM: 'HS256',
      JWT_LEASE_TIME: '-5',
      DISABLE_INTERNAL_API: 'maybe',
      DATABASE_URL: 'mysql://db/x',
      KEYGATE_DB_SCHEMA: 'Robert"); drop',
      KEYGATE_LOG_LEVEL: 'loud',
    })
    expect(errors.sort()).toEqual(
      [
        'KEYGATE_ENV',
        'PORT',
        'KEYGATE_ISSUER',
        'KEYGATE_KEY_ENCRYPTION_SECRET',
        'KEYGATE_ADMIN_TOKEN',
        'JWT_ALGORITHM',
        'JWT_LEASE_TIME',
        'DISABLE_INTERNAL_API',
        'DATABASE_URL',
        'KEYGATE_DB_SCHEMA',
        'KEYGATE_LOG_LEVEL',
      ].sort(),
    )
  })

  it('never quotes a secret in a message', () => {
    const result = loadConfig({ ...PRODUCTION, KEYGATE_KEY_ENCRYPTION_SECRET: 'tooShortSecretValue' })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors.join()).not.toContain('tooShortSecretValue')
  })

  it("reads JWThenticator's names", () => {
    const config = ok({
      ...PRODUCTION,
      URL_PREFIX: 'auth/',
      JWT_ALGORITHM: 'RS256',
      JWT_LEASE_TIME: '1800',
      JWT_AUDIENCE: 'svc-a, svc-b',
      KEY_EXPIRY: '172800',
      REFRESH_TOKEN_EXPIRY: '86400',
      RSA_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----',
    })
    expect(config.jwthenticator).toEqual({
      prefix: '/auth',
      internal: true,
      external: true,
      internalRequiresAdmin: true,
      leaseTimeMs: 1_800_000,
      audience: ['svc-a', 'svc-b'],
      keyExpiryMs: 172_800_000,
      refreshTokenExpiryMs: 86_400_000,
    })
    // One-line PEMs with literal \n are common in env files.
    expect(config.initialKey).toEqual({ pem: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----' })
    expect(ok({ ...PRODUCTION, RSA_PRIVATE_KEY_PATH: '/run/secrets/key.pem' }).initialKey).toEqual({
      path: '/run/secrets/key.pem',
    })
    expect(
      refused({ ...PRODUCTION, RSA_PRIVATE_KEY_PATH: '/k.pem', KEYGATE_SIGNING_ALGORITHM: 'EdDSA' }),
    ).toEqual(['RSA_PRIVATE_KEY_PATH'])
    expect(refused({ ...PRODUCTION, RSA_PRIVATE_KEY: 'not a key' })).toEqual(['RSA_PRIVATE_KEY'])
  })

  it('takes the signing algorithm from JWT_ALGORITHM or KEYGATE_SIGNING_ALGORITHM, and refuses a disagreement', () => {
    expect(ok({ ...PRODUCTION, KEYGATE_SIGNING_ALGORITHM: 'EdDSA' }).signing.algorithm).toBe('EdDSA')
    expect(ok({ ...PRODUCTION, JWT_ALGORITHM: 'ES256' }).signing.algorithm).toBe('ES256')
    expect(refused({ ...PRODUCTION, JWT_ALGORITHM: 'ES256', KEYGATE_SIGNING_ALGORITHM: 'EdDSA' })).toEqual([
      'JWT_ALGORITHM',
    ])
  })

  it('finds the database in DATABASE_URL, DB_URI (SQLAlchemy form too) or the DB_* parts', () => {
    const base = { ...PRODUCTION, DATABASE_URL: undefined }
    expect(ok({ ...base, DB_URI: 'postgresql+pg8000://u:p@h/jwt' }).database).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://u:p@h/jwt',
    })
    expect(ok({ ...base, DB_HOST: 'db', DB_PASS: 'p@ss' }).database).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://postgres:p%40ss@db/jwthenticator',
    })
    expect(ok({ ...base, KEYGATE_DATA_DIR: '/var/lib/keygate' }).database).toEqual({
      kind: 'pglite',
      dataDir: '/var/lib/keygate',
    })
    expect(refused({ ...base, DATABASE_URL: 'postgres://a/b', DB_URI: 'postgres://c/d' })).toEqual([
      'DATABASE_URL',
    ])
    expect(ok({ ...PRODUCTION, KEYGATE_DB_SCHEMA: 'keygate_test_1' }).schema).toBe('keygate_test_1')
  })

  it('reads durations as seconds or with a unit, and the operational limits', () => {
    const config = ok({
      ...PRODUCTION,
      PORT: '0',
      KEYGATE_ROTATE_EVERY: '2s',
      KEYGATE_PUBLISH_AHEAD: '500ms',
      KEYGATE_RETIRE_AFTER: '2m',
      KEYGATE_ACCESS_TOKEN_TTL: '15m',
      KEYGATE_REFRESH_TOKEN_TTL: '30d',
      KEYGATE_BODY_LIMIT: '4096',
      KEYGATE_REQUEST_TIMEOUT: '5',
      KEYGATE_TRUST_PROXY: 'TRUE',
    })
    expect(config).toMatchObject({
      port: 0,
      signing: { rotateEveryMs: 2000, publishAheadMs: 500, retireAfterMs: 120_000 },
      accessTokenTtlMs: 900_000,
      refreshTokenTtlMs: 2_592_000_000,
      bodyLimit: 4096,
      requestTimeoutMs: 5000,
      trustProxy: true,
    })
    expect(refused({ ...PRODUCTION, KEYGATE_ROTATE_EVERY: '0' })).toEqual(['KEYGATE_ROTATE_EVERY'])
    expect(refused({ ...PRODUCTION, KEYGATE_BODY_LIMIT: '10' })).toEqual(['KEYGATE_BODY_LIMIT'])
    expect(refused({ ...PRODUCTION, PORT: '70000' })).toEqual(['PORT'])
  })

  it('treats empty variables as unset', () => {
    expect(ok({ ...PRODUCTION, PORT: '', URL_PREFIX: '', JWT_AUDIENCE: ' ' }).port).toBe(8080)
  })
})
