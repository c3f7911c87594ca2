import { createServer, type Server, Socket } from 'node:net'
import { freePort } from './redis-server.ts'

const HOST = '127.0.0.1'

export type TcpProxy = {
  readonly port: number
  /** Listens again on the same port. */
  start(): Promise<void>
  /** Stops listening and cuts every open connection, as a crashed server would. */
  stop(): Promise<void>
  /**
   * Stops listening, and keeps the open connections open but passes nothing
   * on them, as a hung server or a lost network path would.
   */
  freeze(): void
  /** Lets the frozen connections pass data again. */
  thaw(): void
}

/**
 * A loopback TCP proxy to `target` that can be switched off and on, to make a
 * shared service (MariaDB) look down to one app without stopping it.
 */
export function tcpProxy(port: number, target: { host: string; port: number }): TcpProxy {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  // Stops accepting at once; the callback of close() would wait for every open connection to end.
  const closeListener = () => {
    server?.close()
    server = undefined
  }
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  return {
    port,
    async start() {
      if (server) return
      const listener = createServer((client) => {
        const upstream = new Socket()
        track(client)
        track(upstream)
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
        upstream.connect(target.port, target.host, () => {
          client.pipe(upstream)
          upstream.pipe(client)
        })
      })
      await new Promise<void>((resolve, reject) => listener.once('error', reject).listen(port, HOST, resolve))
      server = listener
    },
    async stop() {
      for (const socket of sockets) socket.destroy()
      closeListener()
    },
    freeze() {
      for (const socket of sockets) socket.pause()
      closeListener()
    },
    thaw() {
      for (const socket of sockets) socket.resume()
    },
  }
}

/** A running proxy to `target` on a spare port. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const proxy = tcpProxy(await freePort(), target)
  await proxy.start()
  return proxy
}
