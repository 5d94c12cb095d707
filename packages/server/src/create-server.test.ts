import { createVerify, generateKeyPairSync, randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryIssuerStore, type IssuerStore, StoreUnavailableError } from '@keygate/core'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig, type ServerConfig } from './config.js'
import { createServer, type KeygateServer } from './create-server.js'

const ADMIN = 'admin-token-of-the-in-process-tests-0123456789'

function config(env: Record<string, string> = {}): ServerConfig {
  const result = loadConfig({
    KEYGATE_ISSUER: 'http://127.0.0.1',
    KEYGATE_KEY_ENCRYPTION_SECRET: 'e'.repeat(32),
    KEYGATE_ADMIN_TOKEN: ADMIN,
    KEYGATE_SIGNING_ALGORITHM: 'EdDSA',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  })
  if (!result.ok) throw new Error(result.errors.join('; '))
  return result.config
}

/** A memory store whose every call fails with `StoreUnavailableError` while `down` is set — an outage. */
function flakyStore(): {
  store: IssuerStore & { ping(): Promise<void>; close(): Promise<void> }
  down: boolean
  closed: number
} {
  const state = { down: false, closed: 0 }
  const memory = createMemoryIssuerStore()
  const guard = () => {
    if (state.down) throw new StoreUnavailableError('The issuer store cannot be reached', 2)
  }
  const store = new Proxy(memory, {
    get(target, name, receiver) {
      if (name === 'ping') return async () => guard()
      if (name === 'close')
        return async () => {
          state.closed++
        }
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        guard()
        return value.apply(target, args)
      }
    },
  }) as unknown as IssuerStore & { ping(): Promise<void>; close(): Promise<void> }
  return Object.assign(state, { store })
}

describe('createServer (in process, memory store)', () => {
  let server: KeygateServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('serves the issuer, /healthz and /readyz, and reports its URL', async () => {
    const lines: string[] = []
    const flaky = flakyStore()
    server = await createServer(config(), {
      store: flaky.store,
      logStream: { write: (line) => lines.push(line) },
    })
    const url = await server.listen()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect((await fetch(`${url}/.well-known/jwks.json`)).status).toBe(200)
    expect(JSON.parse(lines.find((l) => l.includes('keygate-server listening'))!)).toMatchObject({ url })
  })

  it('answers 503 + Retry-After on /readyz and issuer routes while the store is down, and recovers', async () => {
    const flaky = flakyStore()
    server = await createServer(config({ KEYGATE_LOG_LEVEL: 'silent' }), { store: flaky.store })
    const url = await server.listen()
    const created = await fetch(`${url}/admin/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'svc', name: 'svc' }),
    })
    const { id, key } = (await created.json()) as { id: string; key: string }
    const token = () =>
      fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      })
    expect((await token()).status).toBe(200)
    flaky.down = true
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(503)
    expect(ready.headers.get('retry-after')).toBe('1')
    expect(await ready.json()).toEqual({ status: 'unavailable', code: 'ERR_STORE_UNAVAILABLE' })
    const refused = await token()
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('2')
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    flaky.down = false
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect((await token()).status).toBe(200)
  })

  it('closes the store once on close(), however often it is called', async () => {
    const flaky = flakyStore()
    server = await createServer(config({ KEYGATE_LOG_LEVEL: 'silent' }), { store: flaky.store })
    await server.listen()
    await Promise.all([server.close(), server.close()])
    expect(flaky.closed).toBe(1)
  })

  it('refuses settings createIssuer rejects, with its ConfigurationError, before touching the store', async () => {
    const flaky = flakyStore()
    await expect(
      createServer(config({ KEYGATE_ACCESS_TOKEN_TTL: '1h', KEYGATE_RETIRE_AFTER: '30m' }), {
        store: flaky.store,
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
    expect(flaky.closed).toBe(0)
  })

  it("imports JWThenticator's RSA_PRIVATE_KEY_PATH as the first signing key: its tokens verify with the old public key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const dir = await mkdtemp(join(tmpdir(), 'keygate-server-key-'))
    const path = join(dir, 'private.pem')
    await writeFile(path, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 })
    try {
      server = await createServer(
        config({
          KEYGATE_SIGNING_ALGORITHM: 'RS256',
          RSA_PRIVATE_KEY_PATH: path,
          KEYGATE_LOG_LEVEL: 'silent',
        }),
        { store: flakyStore().store },
      )
      const url = await server.listen()
      const jwks = (await (await fetch(`${url}/jwks`)).json()) as { keys: Array<{ n?: string }> }
      expect(jwks.keys.map((k) => k.n)).toEqual([publicKey.export({ format: 'jwk' }).n])
      const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
      const caller = { key: 'a-registered-key', identifier: randomUUID() }
      expect(
        (await fetch(`${url}/register_key`, { method: 'POST', headers: admin, body: JSON.stringify(caller) }))
          .status,
      ).toBe(201)
      const answer = await fetch(`${url}/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(caller),
      })
      const { jwt } = (await answer.json()) as { jwt: string }
      const [header, payload, signature] = jwt.split('.') as [string, string, string]
      const valid = createVerify('RSA-SHA256')
        .update(`${header}.${payload}`)
        .verify(publicKey, Buffer.from(signature, 'base64url'))
      expect(valid).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('logs requests by path only, without query strings, headers or bodies', async () => {
    const lines: string[] = []
    server = await createServer(config(), {
      store: flakyStore().store,
      logStream: { write: (line) => lines.push(line) },
    })
    const url = await server.listen()
    await fetch(`${url}/introspect?access_token=secret-in-query`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer secret-in-header',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'token=secret-in-body',
    })
    const log = lines.join('')
    expect(log).toContain('/introspect')
    expect(log).not.toContain('secret-in')
  })
})
