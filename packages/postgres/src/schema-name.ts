import { ConfigurationError } from '@keygate/core'

/** Where the tables live unless `schema` says otherwise. */
export const DEFAULT_SCHEMA = 'keygate'

/** An unquoted PostgreSQL identifier (letters, digits, `_`, at most 63 bytes, not starting with a digit). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Checks `schema` and returns it double-quoted for SQL. The name is spliced into statements
 * (identifiers cannot be parameters), so anything beyond identifier characters is refused
 * rather than escaped: a configuration value has no business carrying SQL.
 */
export function quoteSchema(schema: unknown): string {
  if (typeof schema !== 'string' || !IDENTIFIER.test(schema)) {
    throw new ConfigurationError(
      'schema must be a PostgreSQL identifier: letters, digits and _, not starting with a digit, at most 63 characters',
    )
  }
  return `"${schema}"`
}
