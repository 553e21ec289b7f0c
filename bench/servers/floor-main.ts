// The floor: a relay that keeps no document. It forwards each room's frames between the room's
// sockets and nothing else, so it costs what moving the bytes costs: the least any Yjs server
// can do for the same workload (DESIGN.md section 11). A room's first socket is its host (the
// benchmark's keeper, which holds the notebook). Sync step 1 requests go to it, one at a time:
// its step 2 answer goes to every socket that asked meanwhile, so a join storm costs the host
// one encoding, as DESIGN.md section 9 asks of Tandem. Updates and awareness go to everyone
// else in the room.
import { createServer } from 'node:http';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

interface Room {
  sockets: Set<WebSocket>;
  host: WebSocket | null;
  /** Sockets waiting for the host's next step 2 (one request to the host is outstanding). */
  waiting: WebSocket[];
}
const rooms = new Map<string, Room>();

const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('floor');
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });

wss.on('connection', (ws, req) => {
  const name = (req.url ?? '/').split('?')[0];
  let room = rooms.get(name);
  if (!room) {
    room = { sockets: new Set(), host: null, waiting: [] };
    rooms.set(name, room);
  }
  const r = room;
  r.sockets.add(ws);
  r.host ??= ws;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const frame = data as Buffer;
    if (!isBinary || frame.length < 2) return;
    // The first two bytes of a y-protocols frame name it (type, then sync step), both < 128.
    if (frame[0] === 0 && frame[1] === 0) {
      if (ws !== r.host && r.host) {
        r.waiting.push(ws);
        // The host answers every joiner with its whole state, so one request serves them all.
        if (r.waiting.length === 1) r.host.send(frame);
      }
      return;
    }
    if (frame[0] === 0 && frame[1] === 1) {
      if (ws === r.host) {
        const to = r.waiting;
        r.waiting = [];
        for (const w of to) if (w.readyState === w.OPEN) w.send(frame);
      }
      return;
    }
    for (const other of r.sockets) if (other !== ws && other.readyState === other.OPEN) other.send(frame);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    r.sockets.delete(ws);
    r.waiting = r.waiting.filter((w) => w !== ws);
    if (r.host === ws) {
      // Requests the old host never answered are lost with it; a new host serves newcomers.
      r.host = r.sockets.values().next().value ?? null;
      r.waiting = [];
    }
    if (r.sockets.size === 0) rooms.delete(name);
  });
});

http.listen(port, host, () => {
  const addr = http.address();
  console.log(`floor listening on ${typeof addr === 'object' && addr ? addr.port : port}`);
});
process.on('SIGTERM', () => process.exit(0));
