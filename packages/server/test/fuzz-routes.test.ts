/**
 * Property-based fuzzing of the server's JWThenticator routes (and `/token`) over real HTTP on
 * 127.0.0.1 (`createServer` with core's memory store): arbitrary methods, routes, content
 * types, JSON bodies and raw bytes, with genuine and damaged credentials (the registered key,
 * its JWT and refresh token, the admin token). Properties: never a 5xx, `/validate_request`
 * only 200/401/403, and a 200/201 that grants something only for a request that carried a
 * genuine credential. `KEYGATE_FUZZ_RUNS` raises the runs (see packages/core/README.md,
 * "Robustness").
 */
import { createMemoryIssuerStore } from '@keygate/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../core/test/fuzz/fuzz-params.js'
import { applyMutation, mutation } from '../../core/test/fuzz/token-mutations.js'
import { loadConfig } from '../src/config.js'
import { createServer, type KeygateServer } from '../src/create-server.js'

vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS })

const ADMIN = 'admin-token-of-the-fuzz-tests-0123456789abcdef'
const IDENTIFIER = '6f1c2a7e-3b1d-4c55-9a0e-2f4b8c9d0e1a'
const KEY = 'fuzz-registered-key-0123456789'

let server: KeygateServer
let base = ''
const genuine: Record<string, string> = {}

beforeAll(async () => {
  const result = loadConfig({
    KEYGATE_ISSUER: 'http://127.0.0.1',
    KEYGATE_KEY_ENCRYPTION_SECRET: 'f'.repeat(32),
    KEYGATE_ADMIN_TOKEN: ADMIN,
    KEYGATE_SIGNING_ALGORITHM: 'EdDSA',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
  })
  if (!result.ok) throw new Error(result.errors.join('; '))
  server = await createServer(result.config, { store: createMemoryIssuerStore(), logStream: { write() {} } })
  base = await server.listen()
  const json = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
  expect(
    (await json('/register_key', { key: KEY, identifier: IDENTIFIER }, { authorization: `Bearer ${ADMIN}` }))
      .status,
  ).toBe(201)
  const tokens = await (await json('/authenticate', { key: KEY, identifier: IDENTIFIER })).json()
  Object.assign(genuine, { key: KEY, jwt: tokens.jwt, refresh: tokens.refresh_token, admin: ADMIN })
})

afterAll(async () => {
  await server?.close()
})

type Slot = 'key' | 'jwt' | 'refresh' | 'admin' | 'random'
const slotArb = fc.record({
  slot: fc.constantFrom<Slot>('key', 'jwt', 'refresh', 'admin', 'random'),
  damage: fc.constantFrom('none', 'none', 'char', 'mutation'),
  index: fc.nat(),
  char: fc.constantFrom('A', '0', '.', ' ', '%', '\u00e9'),
  random: fc.string({ maxLength: 30 }),
  mutation,
})
type SlotPick = typeof slotArb extends fc.Arbitrary<infer T> ? T : never

function take(pick: SlotPick): { value: string; genuine: boolean } {
  if (pick.slot === 'random') return { value: pick.random, genuine: false }
  const original = genuine[pick.slot]!
  let value = original
  if (pick.damage === 'char') {
    const i = pick.index % value.length
    value = value.slice(0, i) + pick.char + value.slice(i + 1)
  } else if (pick.damage === 'mutation') {
    value = applyMutation(value, pick.mutation, genuine.jwt!)
  }
  return { value, genuine: value === original }
}

const ROUTES = [
  '/authenticate',
  '/refresh',
  '/validate',
  '/validate_request',
  '/register_key',
  '/is_key_registered',
  '/token',
  '/jwks',
  '/health',
]
const GRANTING = new Set([
  '/authenticate',
  '/refresh',
  '/validate',
  '/validate_request',
  '/is_key_registered',
])

const requestArb = fc.record({
  method: fc.oneof(
    { arbitrary: fc.constant('POST'), weight: 4 },
    fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'),
  ),
  route: fc.constantFrom(...ROUTES),
  contentType: fc.option(
    fc.constantFrom(
      'application/json',
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      // Values Fastify cannot parse: the issuer still decides (once a 400 on /validate_request).
      'x',
      ';;;',
      '',
    ),
    { nil: undefined },
  ),
  authorization: fc.option(
    fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'Basic ', ''), slotArb),
    { nil: undefined },
  ),
  body: fc.oneof(
    {
      arbitrary: fc.array(
        fc.tuple(
          fc.constantFrom('key', 'identifier', 'jwt', 'refresh_token', 'grant_type', 'extra'),
          fc.oneof(
            slotArb,
            fc.constantFrom(IDENTIFIER, IDENTIFIER.toUpperCase(), 'nope', ''),
            fc.jsonValue({ maxDepth: 1 }),
          ),
        ),
        { maxLength: 4 },
      ),
      weight: 5,
    },
    fc.string({ unit: 'binary', maxLength: 100 }),
  ),
})

describe('server JWThenticator routes over HTTP', () => {
  it('never a 5xx; /validate_request only 200/401/403; grants only to genuine credentials', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const used: { value: string; genuine: boolean }[] = []
        const headers: Record<string, string> = {}
        if (r.contentType !== undefined) headers['content-type'] = r.contentType
        if (r.authorization) {
          const credential = take(r.authorization[1])
          used.push(credential)
          headers.authorization = `${r.authorization[0]}${credential.value}`
        }
        let body: string
        if (typeof r.body === 'string') body = r.body
        else {
          const fields: Record<string, unknown> = {}
          for (const [name, value] of r.body) {
            if (typeof value === 'object' && value !== null && 'slot' in value) {
              const credential = take(value as SlotPick)
              used.push(credential)
              fields[name] = credential.value
            } else fields[name] = value
          }
          body = JSON.stringify(fields)
        }
        let response: Response
        try {
          response = await fetch(`${base}${r.route}`, {
            method: r.method,
            headers,
            ...(r.method === 'GET' ? {} : { body }),
          })
        } catch (error) {
          // Only a header no HTTP client can send (not a ByteString) may fail before the wire.
          if (error instanceof TypeError && !String(error.cause ?? '').includes('ECONN')) {
            fc.pre(false)
          }
          throw error
        }
        await response.arrayBuffer()
        expect(response.status).toBeLessThan(500)
        if (r.route === '/validate_request') expect([200, 401, 403]).toContain(response.status)
        const granted =
          (GRANTING.has(r.route) && response.status === 200) ||
          (r.route === '/register_key' && response.status === 201) ||
          (r.route === '/token' && response.status === 200)
        if (granted) expect(used.some((u) => u.genuine)).toBe(true)
      }),
      fuzzParams(200),
    )
  })
})
