import type { AddressInfo } from 'node:net'
import { createServer, type Socket, connect as tcpConnect } from 'node:net'

/** A TCP proxy on 127.0.0.1 in front of Redis that a test can cut and restore. */
export interface TCPProxy {
  /** `redis://127.0.0.1:<port>` (with the target's path, e.g. a database number). */
  readonly url: string
  /** Drops every connection and refuses new ones, as a network partition would. */
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startTCPProxy(targetUrl: string): Promise<TCPProxy> {
  const target = new URL(targetUrl)
  const sockets = new Set<Socket>()
  let down = false
  const server = createServer((incoming) => {
    if (down) {
      incoming.destroy()
      return
    }
    const outgoing = tcpConnect(Number(target.port || 6379), target.hostname)
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        incoming.destroy()
        outgoing.destroy()
      })
    }
    incoming.pipe(outgoing).pipe(incoming)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = new URL(targetUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    cut() {
      down = true
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      down = false
    },
    async close() {
      down = true
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
