// Builds a fixture app with the real `next build` and serves it with `next start` on 127.0.0.1.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const NEXT_BIN = createRequire(import.meta.url).resolve('next/dist/bin/next')
// Enough for `next start` to come up on a busy 2-core machine; it is a bound, not a wait.
const READY_TIMEOUT_MS = 60_000

export interface RunningApp {
  url: string
  close(): Promise<void>
}

/** The absolute path of a fixture app folder under test/fixtures. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}/`, import.meta.url))
}

/** Where Next.js put the built middleware/proxy: the edge runtime or Node. */
export async function middlewareRuntime(dir: string): Promise<string | undefined> {
  const read = async (file: string) => JSON.parse(await readFile(`${dir}.next/server/${file}`, 'utf8'))
  const edge = await read('middleware-manifest.json')
  if (Object.keys(edge.middleware ?? {}).length > 0) return 'edge'
  return (await read('functions-config-manifest.json')).functions?.['/_middleware']?.runtime
}

/** `next build` in `dir`; rejects with the tail of Next.js's output when the build fails. */
export async function buildApp(dir: string): Promise<void> {
  // The fixtures import the built package, as an application would.
  await readFile(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).catch(() => {
    throw new Error('packages/next/dist is missing: run `pnpm --filter @keygate/next build` first')
  })
  const child = spawn(process.execPath, [NEXT_BIN, 'build'], { cwd: dir, env: nextEnv({}) })
  const output = collect(child)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`next build failed in ${dir}:\n${output().slice(-4000)}`)
}

/** `next start` on a free loopback port with `env`; resolves once the server says it is ready. */
export async function startApp(dir: string, env: Record<string, string>): Promise<RunningApp> {
  const port = await freePort()
  const args = [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1']
  const child = spawn(process.execPath, args, { cwd: dir, env: nextEnv(env) })
  const output = collect(child)
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      reject(new Error(`next start did not get ready:\n${output()}`))
    }, READY_TIMEOUT_MS)
    const check = () => {
      if (/Ready in/i.test(output())) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', check)
    child.on('exit', () => {
      clearTimeout(timer)
      reject(new Error(`next start exited:\n${output()}`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

function nextEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // NODE_ENV comes from vitest ('test'); Next.js must see production for build and start.
  return { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', ...extra }
}

function collect(child: ChildProcess): () => string {
  let text = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  return () => text
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
