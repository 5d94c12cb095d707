import { afterAll, describe, it } from 'vitest'
import { DATABASE_URL, dropSchema, uniqueSchema } from './harness.js'
import { routeSuite } from './route-suite.js'

const schema = uniqueSchema('routes')
afterAll(() => dropSchema(schema))

if (DATABASE_URL) routeSuite('PostgreSQL', () => ({ url: DATABASE_URL!, schema }))
else describe.skip('keygate-server on PostgreSQL (DATABASE_URL is unset)', () => it('needs DATABASE_URL'))
