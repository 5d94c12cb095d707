import { connect, createServer, type Socket } from 'node:net'

/** A TCP proxy on 127.0.0.1 that a test can cut (`down`), stall (`hang`) and restore (`up`). */
export interface TCPProxy {
  port: number
  /** Connections are forwarded. */
  up(): void
  /** Every open connection is cut and new ones are closed at once: the database is gone. */
  down(): void
  /** Open connections are cut and new ones are accepted but never answered: a network partition. */
  hang(): void
  close(): Promise<void>
}

export async function startTCPProxy(target: { host: string; port: number }): Promise<TCPProxy> {
  let mode: 'up' | 'down' | 'hang' = 'up'
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = createServer((client) => {
    track(client)
    if (mode === 'down') return void client.destroy()
    if (mode === 'hang') return
    const upstream = connect(target.port, target.host)
    track(upstream)
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const cut = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    port: (server.address() as { port: number }).port,
    up() {
      mode = 'up'
    },
    down() {
      mode = 'down'
      cut()
    },
    hang() {
      mode = 'hang'
      cut()
    },
    close() {
      cut()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** A loopback port nothing listens on: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
