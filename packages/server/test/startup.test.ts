import { randomUUID } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENCRYPTION_SECRET, parseLine, runToExit, startProcess, tempDir } from './harness.js'

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

function expectOneLine(result: { code: number | null; stdout: string; stderr: string }) {
  expect(result.code).not.toBe(0)
  expect(result.code).not.toBeNull()
  const lines = result.stderr.split('\n').filter((line) => line !== '')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^keygate-server: /)
  // No stack trace, no JSON dump.
  expect(lines[0]).not.toMatch(/\n\s+at |\{"/)
  return lines[0]!
}

describe('start-up', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    dir = await tempDir()
  })
  afterAll(() => dir?.remove())

  it('refuses an unsafe production configuration with one line per run, naming every problem', async () => {
    const line = expectOneLine(await runToExit({}))
    for (const name of ['KEYGATE_ISSUER', 'KEYGATE_KEY_ENCRYPTION_SECRET', 'KEYGATE_ADMIN_TOKEN']) {
      expect(line).toContain(name)
    }
  })

  it('refuses bad values, settings the issuer rejects, an unreadable key file and an unreachable database', async () => {
    const production = {
      KEYGATE_ISSUER: 'http://127.0.0.1',
      KEYGATE_KEY_ENCRYPTION_SECRET: ENCRYPTION_SECRET,
      DISABLE_INTERNAL_API: 'true',
      KEYGATE_DATA_DIR: join(dir.path, 'refused'),
    }
    const runs = await Promise.all([
      runToExit({ ...production, PORT: 'eighty' }),
      // createIssuer's own rule: a key stays published at least a token's lifetime plus a minute.
      runToExit({ ...production, KEYGATE_ACCESS_TOKEN_TTL: '1h', KEYGATE_RETIRE_AFTER: '30m' }),
      runToExit({ ...production, RSA_PRIVATE_KEY_PATH: join(dir.path, 'missing.pem') }),
      runToExit({ ...production, DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/none` }),
    ])
    const lines = runs.map(expectOneLine)
    expect(lines[0]).toContain('PORT')
    expect(lines[2]).toContain('RSA_PRIVATE_KEY_PATH')
  })

  // Each opens PGlite (a fresh database the first time): slow on a loaded machine.
  it('in development, generates the encryption secret once (mode 0600) and reuses it after a restart', {
    timeout: 180_000,
  }, async () => {
    const env = { KEYGATE_ENV: 'development', KEYGATE_DATA_DIR: join(dir.path, 'dev') }
    const first = await startProcess(env)
    const secretFile = join(dir.path, 'dev', 'encryption-secret')
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600)
    const secret = await readFile(secretFile, 'utf8')
    const jwks = await (await fetch(`${first.url}/.well-known/jwks.json`)).json()
    // Development leaves the internal group open and says so.
    const notice = first.stdout.map(parseLine).find((entry) => String(entry?.msg).includes('internal API'))
    expect(notice?.level).toBe(40)
    const identifier = randomUUID()
    const registered = await fetch(`${first.url}/register_key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'dev-key', identifier }),
    })
    expect(registered.status).toBe(201)
    expect(await first.stop('SIGINT')).toBe(0)

    const second = await startProcess(env)
    expect(await readFile(secretFile, 'utf8')).toBe(secret)
    // The sealed signing keys open with the kept secret: the same key set, and tokens are signed.
    expect(await (await fetch(`${second.url}/.well-known/jwks.json`)).json()).toEqual(jwks)
    const authenticated = await fetch(`${second.url}/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'dev-key', identifier }),
    })
    expect(authenticated.status).toBe(200)
    expect(second.stdout.some((line) => line.includes(secret.trim()))).toBe(false)
    expect(await second.stop()).toBe(0)
  })

  // On the development data directory (opening an existing PGlite database is much cheaper than
  // creating one), with its secret now given the production way.
  it('lets a production internal-only instance leave the internal group open, and logs that it does', {
    timeout: 120_000,
  }, async () => {
    const devDir = join(dir.path, 'dev')
    const server = await startProcess({
      KEYGATE_ISSUER: 'http://127.0.0.1',
      KEYGATE_KEY_ENCRYPTION_SECRET: (await readFile(join(devDir, 'encryption-secret'), 'utf8')).trim(),
      DISABLE_EXTERNAL_API: 'true',
      KEYGATE_DATA_DIR: devDir,
    })
    try {
      const notice = server.stdout.map(parseLine).find((entry) => String(entry?.msg).includes('internal API'))
      expect(notice?.level).toBe(40)
      const post = (path: string) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key: 'k', identifier: randomUUID() }),
        })
      expect((await post('/register_key')).status).toBe(201)
      // The external group does not exist here.
      expect((await post('/authenticate')).status).toBe(404)
      // No admin token: no admin routes either.
      expect((await fetch(`${server.url}/admin/api-keys`)).status).toBe(404)
    } finally {
      expect(await server.stop()).toBe(0)
    }
    // The signing keys in that database do not open with another secret: refused at start.
    const wrongSecret = await runToExit({
      KEYGATE_ISSUER: 'http://127.0.0.1',
      KEYGATE_KEY_ENCRYPTION_SECRET: ENCRYPTION_SECRET,
      DISABLE_EXTERNAL_API: 'true',
      KEYGATE_DATA_DIR: devDir,
    })
    expect(expectOneLine(wrongSecret)).toContain('ERR_CONFIGURATION')
  })
})
