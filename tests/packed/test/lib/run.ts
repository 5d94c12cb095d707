// Child processes for the packed test: commands that must succeed, and servers to probe.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'

export interface Ran {
  code: number | null
  output: string
}

/** Runs a command to its end; rejects with its output when it fails or outlives `timeoutMs`. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; allowFailure?: boolean },
): Promise<Ran> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env })
  const output = collect(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', resolve)
  }).finally(() => clearTimeout(timer))
  if (code !== 0 && !options.allowFailure) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${code}) in ${options.cwd}:\n${output().slice(-6000)}`,
    )
  }
  return { code, output: output() }
}

/** A started process whose output is collected, and a way to stop it. */
export interface Started {
  child: ChildProcess
  output(): string
  exited: Promise<number | null>
  stop(): Promise<void>
}

export function start(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { cwd, env })
  const output = collect(child)
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  return {
    child,
    output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** Resolves with the first match of `pattern` in the output, or rejects when the process exits first. */
export function waitFor(
  started: Started,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${started.output().slice(-4000)}`))
    }, timeoutMs)
    const check = () => {
      const match = started.output().match(pattern)
      if (match) {
        clearTimeout(timer)
        resolve(match)
      }
    }
    started.child.stdout?.on('data', check)
    started.child.stderr?.on('data', check)
    started.exited.then(() => {
      clearTimeout(timer)
      const match = started.output().match(pattern)
      resolve(match)
    })
  })
}

/** A free loopback port, for a program that takes its port from the environment. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function collect(child: ChildProcess): () => string {
  let text = ''
  child.stdout?.on('data', (chunk) => {
    text += chunk
  })
  child.stderr?.on('data', (chunk) => {
    text += chunk
  })
  return () => text
}
