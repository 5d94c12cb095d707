import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url))

/** One real Node process running `worker.mjs`, driven over IPC. */
export interface Worker {
  readonly child: ChildProcess
  call<T = Record<string, unknown>>(command: string, args?: Record<string, unknown>): Promise<T>
  stop(): Promise<void>
}

/** Forks a worker process and waits until it listens for commands. */
export async function startWorker(): Promise<Worker> {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>()
  let next = 0
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
    if (message.id === undefined) return
    const pending = waiting.get(message.id)
    waiting.delete(message.id)
    if (message.error !== undefined) pending?.reject(new Error(message.error))
    else pending?.resolve(message.result as never)
  })
  child.once('exit', (code) => {
    for (const pending of waiting.values()) pending.reject(new Error(`worker exited with ${code}`))
    waiting.clear()
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it started`)))
  })
  const call: Worker['call'] = (command, args) => {
    const id = next++
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject })
      child.send({ id, command, args })
    })
  }
  return {
    child,
    call,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) await call('close').catch(() => {})
      const timer = setTimeout(() => child.kill(), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
