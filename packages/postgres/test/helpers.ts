import pg from 'pg'

/** The real PostgreSQL for these tests; without it the PostgreSQL suites are skipped and PGlite runs. */
export const DATABASE_URL = process.env.DATABASE_URL

if (!DATABASE_URL) {
  console.warn(
    '@keygate/postgres: DATABASE_URL is not set, skipping the PostgreSQL suites (PGlite suites still run)',
  )
}

/** A schema name no other test file or helper uses, so suites can share one database. */
export function uniqueSchema(tag: string): string {
  return `kg_test_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
}

/** Drops test schemas (with everything in them) through a short-lived pool of its own. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  if (!DATABASE_URL) return
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
  try {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await pool.end()
  }
}
