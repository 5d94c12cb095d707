/**
 * Runs `keygate-server` (the built `dist/cli.js`) as a real child process on 127.0.0.1 with a
 * free port it reports in its JSON log, plus the helpers the server tests share: a PostgreSQL
 * schema per test file, a TCP proxy that can cut the database connection, polling with a bound.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js')
export const DATABASE_URL = process.env.DATABASE_URL
export const ADMIN_TOKEN = `admin-${randomBytes(24).toString('base64url')}`
export const ENCRYPTION_SECRET = randomBytes(32).toString('base64url')
// PGlite creating a fresh database takes seconds on an idle machine, much longer on a loaded one.
const START_TIMEOUT_MS = 100_000
const STOP_TIMEOUT_MS = 15_000

/** A running server process. */
export interface ServerProcess {
  readonly url: string
  readonly child: ChildProcess
  /** Every stdout line so far (pino JSON). */
  readonly stdout: string[]
  readonly stderr: string[]
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** The result of a process that exits on its own (a refused configuration). */
export interface ExitedProcess {
  code: number | null
  stdout: string
  stderr: string
}

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  // Only what the server needs: nothing from the test runner's environment leaks in by accident.
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0' }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete base[name]
    else base[name] = value
  }
  return base
}

function assertBuilt(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`pnpm --filter @keygate/server build\` first`)
}

/** Starts the CLI and resolves once it logs its listening URL; rejects (with its stderr) if it exits first. */
export function startProcess(env: Record<string, string | undefined>): Promise<ServerProcess> {
  assertBuilt()
  const child = spawn(process.execPath, [CLI], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms: ${stderr.join('')}`))
    }, START_TIMEOUT_MS)
    let pending = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        stdout.push(line)
        const entry = parseLine(line)
        if (entry?.msg === 'keygate-server listening' && typeof entry.url === 'string') {
          clearTimeout(timer)
          resolve({
            url: entry.url,
            child,
            stdout,
            stderr,
            async stop(signal: NodeJS.Signals = 'SIGTERM') {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal)
              const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
              const code = await exited
              clearTimeout(killer)
              return code
            },
          })
        }
      }
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk))
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}) before listening: ${stderr.join('')}`))
    })
  })
}

/** Runs the CLI expecting it to exit by itself (bad configuration); bounded. */
export function runToExit(env: Record<string, string | undefined>): Promise<ExitedProcess> {
  assertBuilt()
  const child = spawn(process.execPath, [CLI], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error('the server kept running with a configuration it should refuse'))
    }, START_TIMEOUT_MS)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Polls `check` until it returns a value other than `undefined`/`false`; fails after `timeoutMs`. */
export async function poll<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** A unique PostgreSQL schema name for one test file. */
export function uniqueSchema(name: string): string {
  return `keygate_server_${name}_${process.pid}_${randomBytes(3).toString('hex')}`
}

/** Drops a test schema (and its tables) from `DATABASE_URL`. */
export async function dropSchema(schema: string): Promise<void> {
  if (!DATABASE_URL) return
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: DATABASE_URL })
  await client.connect()
  try {
    await client.query(`drop schema if exists "${schema}" cascade`)
  } finally {
    await client.end()
  }
}

/** A temporary directory, removed by the returned function. */
export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'keygate-server-'))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** The environment of a production instance with every secret set, on `DATABASE_URL` or PGlite in `dataDir`. */
export function productionEnv(options: {
  database: { url: string; schema: string } | { dataDir: string }
  extra?: Record<string, string | undefined>
}): Record<string, string | undefined> {
  const db =
    'url' in options.database
      ? { DATABASE_URL: options.database.url, KEYGATE_DB_SCHEMA: options.database.schema }
      : { KEYGATE_DATA_DIR: options.database.dataDir }
  return {
    KEYGATE_ENV: 'production',
    KEYGATE_ISSUER: 'http://127.0.0.1',
    KEYGATE_KEY_ENCRYPTION_SECRET: ENCRYPTION_SECRET,
    KEYGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    ...db,
    ...options.extra,
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target` (host:port): `cut()` drops every open
 * connection and resets new ones, `restore()` lets them through again — a database outage
 * without touching the database.
 */
export interface TCPProxy {
  readonly port: number
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startProxy(targetHost: string, targetPort: number): Promise<TCPProxy> {
  let down = false
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const server: Server = createServer((client) => {
    track(client)
    if (down) {
      client.resetAndDestroy()
      return
    }
    const upstream = connect(targetPort, targetHost)
    track(upstream)
    client.pipe(upstream).pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  return {
    port: address.port,
    cut() {
      down = true
      for (const socket of sockets) socket.resetAndDestroy()
    },
    restore() {
      down = false
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
