/**
 * Starts the service: builds it, listens, logs the start-up notices, and — for the CLI — shuts
 * down gracefully on SIGTERM/SIGINT.
 */
import type { ServerConfig } from './config.js'
import { type CreateServerOptions, createServer, type KeygateServer } from './create-server.js'

/** Options of `startServer`. */
export interface StartServerOptions extends CreateServerOptions {
  /** Lines `loadConfig` returned to say at start (logged as warnings). */
  notices?: readonly string[]
  /**
   * On SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the store, exit 0 (exit
   * 1 when that takes longer than `config.shutdownTimeoutMs`). Default false — an embedding
   * application usually owns its signals; the `keygate-server` CLI turns it on.
   */
  handleSignals?: boolean
}

/** A listening service. */
export interface StartedServer {
  readonly server: KeygateServer
  /** The URL it listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** `server.close()`: graceful stop, store closed. */
  close(): Promise<void>
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

/**
 * Creates the service and starts listening on `config.host`:`config.port`.
 *
 * @example
 * const result = loadConfig({ ...process.env, KEYGATE_ENV: 'development', PORT: '0', HOST: '127.0.0.1' })
 * if (!result.ok) throw new Error(result.errors.join('; '))
 * const { url, close } = await startServer(result.config)
 * // … fetch(`${url}/.well-known/jwks.json`) …
 * await close()
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<StartedServer> {
  const { notices = [], handleSignals = false, ...createOptions } = options
  const server = await createServer(config, createOptions)
  for (const notice of notices) server.fastify.log.warn(notice)
  let url: string
  try {
    url = await server.listen()
  } catch (error) {
    await server.close()
    throw error
  }
  if (handleSignals) {
    const stop = (signal: NodeJS.Signals) => {
      for (const name of SIGNALS) process.off(name, stop)
      // A second signal while stopping uses Node's default: immediate exit.
      server.fastify.log.info({ signal }, 'shutting down: finishing in-flight requests')
      const timer = setTimeout(() => {
        server.fastify.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out')
        process.exit(1)
      }, config.shutdownTimeoutMs)
      timer.unref()
      server.close().then(
        () => {
          server.fastify.log.info('stopped')
          process.exit(0)
        },
        (error: unknown) => {
          server.fastify.log.error({ code: (error as { code?: unknown })?.code }, 'shutdown failed')
          process.exit(1)
        },
      )
    }
    for (const name of SIGNALS) process.on(name, stop)
  }
  return { server, url, close: () => server.close() }
}
