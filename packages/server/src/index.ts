export {
  type DatabaseConfig,
  DEFAULT_BODY_LIMIT,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_SIGNING_ALGORITHM,
  type Env,
  type InitialKeyConfig,
  type JWThenticatorConfig,
  type LoadConfigResult,
  type LogLevel,
  loadConfig,
  type ServerConfig,
  type ServerMode,
} from './config.js'
export { type CreateServerOptions, createServer, type KeygateServer } from './create-server.js'
export { DEV_SECRET_FILE } from './dev-secret.js'
export type { LogStream } from './logger.js'
export type { ServerStore } from './open-store.js'
export { type StartedServer, type StartServerOptions, startServer } from './start-server.js'
