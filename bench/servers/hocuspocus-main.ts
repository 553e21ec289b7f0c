// Hocuspocus 4 as its README starts it, with no extensions: documents live in memory only, as
// in the y-websocket reference server. Every client is accepted (the load clients send a token
// only because the protocol requires one).
import { Server } from '@hocuspocus/server';

const server = new Server({
  port: Number(process.env.PORT ?? 0),
  address: process.env.HOST ?? '127.0.0.1',
  quiet: true,
  stopOnSignals: true,
});
await server.listen();
console.log(`hocuspocus listening on ${server.address.port}`);
