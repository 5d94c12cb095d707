#!/usr/bin/env node
/**
 * `keygate-server`: reads the configuration from the environment and serves the issuer. Any
 * problem before the server listens ends the process with exit code 1 and one line on stderr
 * that says what to fix — no stack trace.
 */
import { loadConfig } from './config.js'
import { startServer } from './start-server.js'

const result = loadConfig(process.env)
if (!result.ok) {
  process.stderr.write(`keygate-server: invalid configuration: ${result.errors.join('; ')}\n`)
  process.exit(1)
}
try {
  const { server } = await startServer(result.config, { notices: result.notices, handleSignals: true })
  // A promise that rejects before its handler is attached (core stores a refresh token while it
  // signs, then awaits the store: with the database down the store can fail first) would end the
  // process under Node's default policy. The request still gets its answer (503) when the handler
  // runs; log the early rejection by code instead of taking the issuer down during an outage.
  process.on('unhandledRejection', (reason) => {
    const code = (reason as { code?: unknown } | null)?.code
    server.fastify.log.warn(
      { code: typeof code === 'string' ? code : undefined },
      'promise rejected before its handler',
    )
  })
} catch (error) {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown })?.code
  process.stderr.write(
    `keygate-server: cannot start: ${message.replaceAll('\n', ' ')}${typeof code === 'string' ? ` (${code})` : ''}\n`,
  )
  process.exit(1)
}
