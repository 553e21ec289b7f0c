// A free TCP port on loopback, for servers the tests start that cannot take port 0 themselves
// (redis-server, versitygw, nginx). Another process could take it before they bind; they
// start at once, so in practice none does.

import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no free port'))));
    });
  });
}
