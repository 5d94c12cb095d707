/**
 * The issuer service: Fastify with core's issuer mounted through `@keygate/fastify`'s
 * `mountIssuer` (every issuer route, JWThenticator's included, is core's), plus `/healthz` and
 * `/readyz`. Builds on `createIssuer` (`@keygate/core`) and the stores of `@keygate/postgres`.
 */
import {
  createIssuer,
  createMemoryIssuerStore,
  type Issuer,
  type IssuerEvent,
  type IssuerStore,
} from '@keygate/core'
import { mountIssuer } from '@keygate/fastify'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { ServerConfig } from './config.js'
import { loadDevelopmentSecret } from './dev-secret.js'
import { registerHealthRoutes } from './health-routes.js'
import { issuerOptions, readInitialKey } from './issuer-options.js'
import { type LogStream, loggerOptions } from './logger.js'
import { openStore, type ServerStore } from './open-store.js'

/** Options of `createServer` beyond the configuration, for tests and embedding. */
export interface CreateServerOptions {
  /**
   * A store to use instead of the one `config.database` names (e.g. core's memory store in a
   * test). The server closes it on `close()` when it has a `close` method.
   */
  store?: IssuerStore & Partial<Pick<ServerStore, 'ping' | 'close'>>
  /** Milliseconds since the epoch, for the issuer and the store. */
  clock?: () => number
  /** Where the JSON log lines go; default stdout. */
  logStream?: LogStream
}

/** The service, built but not yet listening. */
export interface KeygateServer {
  readonly config: ServerConfig
  readonly fastify: FastifyInstance
  readonly issuer: Issuer
  readonly store: IssuerStore
  /** Binds `config.host`:`config.port` (0 = any free port) and resolves with the URL it listens on. */
  listen(): Promise<string>
  /**
   * Stops accepting connections, lets in-flight requests finish, then closes the store (and its
   * pool). Safe to call more than once.
   */
  close(): Promise<void>
}

const WARN_EVENTS = new Set<IssuerEvent['type']>([
  'auth_failed',
  'rate_limited',
  'rate_slowed',
  'refresh_reuse',
])

/**
 * Builds the issuer service from a configuration (`loadConfig(process.env).config`): opens the
 * store, creates the issuer, loads its signing keys and builds the Fastify app. Rejects with a
 * `ConfigurationError` for settings `createIssuer` refuses or signing keys the encryption secret
 * does not open, and with a `StoreUnavailableError` when the database cannot be reached.
 *
 * @example
 * const result = loadConfig({ KEYGATE_ENV: 'development', PORT: '0' })
 * if (!result.ok) throw new Error(result.errors.join('; '))
 * const server = await createServer(result.config)
 * const url = await server.listen()
 */
export async function createServer(
  config: ServerConfig,
  options: CreateServerOptions = {},
): Promise<KeygateServer> {
  const fastify = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream),
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    trustProxy: config.trustProxy,
    // Request ids are for correlating log lines only; never derived from request headers.
    requestIdHeader: false,
  })
  const log = fastify.log
  const initialKey = await readInitialKey(config)
  const encryptionKey = config.encryptionSecret ?? (await loadDevelopmentSecret(config.dataDir))
  const optionsFor = (store: IssuerStore) =>
    issuerOptions(config, {
      store,
      encryptionKey,
      ...(initialKey ? { initialKey } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      onEvent: (event) => logIssuerEvent(log, event),
    })
  // createIssuer checks its own rules (token lifetimes against rotation, …) synchronously:
  // run them before opening the database, so a bad setting fails at once, not after a
  // connection and migrations.
  createIssuer(optionsFor(createMemoryIssuerStore()))
  const store =
    options.store ??
    (await openStore(config, {
      log,
      ...(options.clock ? { clock: options.clock } : {}),
    }))
  let issuer: Issuer
  try {
    issuer = createIssuer(optionsFor(store))
    // Load (or create) and decrypt the signing keys now: a wrong KEYGATE_KEY_ENCRYPTION_SECRET
    // is a start-up failure, not a 500 on the first request, and the first caller does not wait
    // for a key to be generated.
    await issuer.ready()
    registerHealthRoutes(fastify, { store, issuer })
    await fastify.register(mountIssuer(issuer, { maxBodyBytes: config.bodyLimit }))
  } catch (error) {
    if (!options.store) await store.close?.()
    throw error
  }
  fastify.addHook('onClose', async () => {
    await store.close?.()
  })

  let closing: Promise<void> | undefined
  return {
    config,
    fastify,
    issuer,
    store,
    async listen() {
      const address = await fastify.listen({ port: config.port, host: config.host })
      log.info({ url: address, issuer: config.issuer, mode: config.mode }, 'keygate-server listening')
      return address
    },
    close() {
      closing ??= fastify.close()
      return closing
    },
  }
}

/** Audit events carry ids, subjects and times — never keys, tokens or hashes (core's rule). */
function logIssuerEvent(log: FastifyBaseLogger, event: IssuerEvent): void {
  if (WARN_EVENTS.has(event.type)) log.warn({ event }, event.type)
  else log.info({ event }, event.type)
}
