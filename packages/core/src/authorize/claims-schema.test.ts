import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { JWTClaims } from '../types.js'
import { type StandardSchemaV1, validateClaims } from './claims-schema.js'

interface TenantClaims extends JWTClaims {
  tenant: string
  seats: number
}

const isTenantClaims = (claims: JWTClaims): claims is TenantClaims =>
  typeof claims.tenant === 'string' && typeof claims.seats === 'number'

const token = { iss: 'https://issuer.test', sub: 'alice', exp: 2_000_000_000, tenant: 'acme', seats: 3 }

describe('validateClaims', () => {
  it('accepts claims a type guard recognises, as the same object', () => {
    expect(validateClaims(isTenantClaims, token)).toBe(token)
  })

  it('rejects claims a type guard refuses with a 401 ClaimInvalidError', () => {
    expect(() => validateClaims(isTenantClaims, { ...token, seats: '3' })).toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', status: 401 }),
    )
  })

  it('uses a Standard Schema (zod) and keeps the registered claims it strips', () => {
    const schema = z.object({ tenant: z.string(), seats: z.number().int() })
    const claims = validateClaims(schema, token)
    expect(claims).toEqual(token)
    expect(claims.tenant).toBe('acme')
  })

  it('lays a schema transform over the claims', () => {
    const schema = z.object({ tenant: z.string().transform((t) => t.toUpperCase()) })
    expect(validateClaims(schema, token)).toMatchObject({ tenant: 'ACME', sub: 'alice' })
  })

  it('names the first offending claim and keeps the issues out of the message', () => {
    const schema = z.object({ tenant: z.string(), seats: z.number() })
    let error: unknown
    try {
      validateClaims(schema, { ...token, seats: 'many' })
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'ERR_CLAIM_INVALID', claim: 'seats' })
    expect((error as Error).cause).toBeInstanceOf(Array)
  })

  it('reads issue paths given as { key } segments', () => {
    const schema: StandardSchemaV1<unknown, TenantClaims> = {
      '~standard': {
        version: 1,
        vendor: 'handmade',
        validate: () => ({ issues: [{ message: 'bad', path: [{ key: 'tenant' }] }] }),
      },
    }
    expect(() => validateClaims(schema, token)).toThrow(expect.objectContaining({ claim: 'tenant' }))
  })

  it('refuses asynchronous schemas and non-schemas as configuration errors', () => {
    const asyncSchema = z.object({ tenant: z.string().refine(async () => true) })
    expect(() => validateClaims(asyncSchema, token)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
    expect(() => validateClaims({} as never, token)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
  })
})
