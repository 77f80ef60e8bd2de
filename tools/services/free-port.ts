import { createServer } from 'node:net';

/**
 * A TCP port that was free on `host` a moment ago: the OS picks one for a throw-away
 * listener, which is closed before returning. Another process may still take it before
 * the caller binds, so callers retry with a new port when their server fails to start.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
