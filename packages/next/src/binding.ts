/**
 * The configuration `getAuth(request)` uses when it is imported on its own: the one bound by the
 * last `createKeygate()` or `authenticate()` evaluated in this server bundle. Builds on core's
 * `ConfigurationError`: a missing configuration is a bug, not a 401.
 */
import { ConfigurationError } from '@keygate/core/errors'
import type { Settings } from './options.js'

// Module state, as Next.js keeps its own: one per server bundle. Last one wins, so a module
// re-evaluated by Fast Refresh replaces its old configuration instead of clashing with it.
let bound: Settings | undefined

/** Makes `settings` the configuration of the standalone `getAuth`. */
export function bindSettings(settings: Settings): Settings {
  bound = settings
  return settings
}

/**
 * The bound configuration; throws `ConfigurationError` when none was.
 *
 * @example const settings = boundSettings()
 */
export function boundSettings(): Settings {
  if (bound) return bound
  throw new ConfigurationError(
    'getAuth() needs a Keygate configuration: import the module that calls createKeygate() or ' +
      'authenticate() (e.g. lib/keygate.ts), or use the getAuth that createKeygate() returns',
  )
}
