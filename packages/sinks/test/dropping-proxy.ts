import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of an HTTP server that drops some requests: {@link startDroppingProxy}. */
export interface DroppingProxy {
  /** `http://127.0.0.1:<port>`, for `@clickhouse/client`'s `url`. */
  readonly url: string;
  /** Requests dropped so far. */
  readonly dropped: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on a free loopback port in front of `target` (`http://host:port`). A
 * connection whose first bytes match `drop`, while fewer than `count` were dropped, is
 * reset once they arrive and nothing of it is forwarded: its client connected and sent
 * its request, which the server never saw. Every other connection is piped through. One
 * request per connection is inspected, so the client must not keep connections alive.
 */
export async function startDroppingProxy(
  target: string,
  drop: (head: string) => boolean,
  count: number,
): Promise<DroppingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return socket;
  };
  let dropped = 0;
  const server = createServer((client) => {
    track(client).once('data', (head) => {
      if (dropped < count && drop(head.toString('latin1'))) {
        dropped += 1;
        client.resetAndDestroy();
        return;
      }
      const upstream = track(createConnection({ host: hostname, port: Number(port) }));
      upstream.write(head);
      client.pipe(upstream).pipe(client);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    get dropped() {
      return dropped;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
