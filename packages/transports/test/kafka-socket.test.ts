import { createServer, type Server, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { noDelaySocketFactory } from '../src/kafka/socket.js';

let server: Server | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

describe('noDelaySocketFactory', () => {
  it('connects with Nagle off and keep-alive on, and calls onConnect', async () => {
    server = createServer((peer) => peer.end());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    const keepAlive = vi.spyOn(Socket.prototype, 'setKeepAlive');
    let socket: Socket | undefined;
    await new Promise<void>((onConnect) => {
      socket = noDelaySocketFactory({ host: '127.0.0.1', port, ssl: null, onConnect });
      socket.on('error', () => {});
    });
    expect(noDelay).toHaveBeenCalledWith(true);
    expect(keepAlive).toHaveBeenCalledWith(true, 60_000);
    socket!.destroy();
  });
});
