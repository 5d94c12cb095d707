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
  await startServer(result.config, { notices: result.notices, handleSignals: true })
} catch (error) {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown })?.code
  process.stderr.write(
    `keygate-server: cannot start: ${message.replaceAll('\n', ' ')}${typeof code === 'string' ? ` (${code})` : ''}\n`,
  )
  process.exit(1)
}
