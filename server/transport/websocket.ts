// The WebSocket transport, and the only code that touches `ws`. It authenticates the
// upgrade (token or cookie, Origin for browsers, the notebook's role), loads the room before
// the socket opens, checks the sessionId, and then just moves frames between the socket and
// the room.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Role } from '../../common/doc-schema';
import { forbidden, notFound, tooMany } from '../errors';
import { type Authenticator, requirePrincipal, requireRole } from '../http/auth';
import type { RoomHandle, RoomHost } from '../notebooks/room-host';
import { CLOSE_ACCESS_REVOKED, CLOSE_SLOW_CLIENT, CLOSE_UNKNOWN_SESSION, type ConnectionSink, closeReason, RoomConnection } from '../rooms/connection';
import type { Room } from '../rooms/room';
import type { SendBudget } from './send-budget';
import { SocketCounts } from './socket-counts';

export interface TransportOptions {
  auth: Authenticator;
  rooms: RoomHost;
  maxMessageBytes: number;
  /** What all clients together, and each one, may have waiting to be sent. */
  budget: SendBudget;
  /** Sockets one share link may hold open at once (owners are not counted). */
  maxSocketsPerLink: number;
  /** Sockets opened with share links that one address may hold open at once. */
  maxSocketsPerAddress: number;
  /** Interval of the keepalive ping that finds dead peers. */
  pingIntervalMs: number;
  /** Picks a subprotocol from those a client offers (the kernel channels' v1 format); rooms use none. */
  handleProtocols?: (offered: Set<string>) => string | false;
}

const ROOM_NAME = /^json:notebook:([0-9a-f-]{36})$/;

declare module 'fastify' {
  interface FastifyRequest {
    roomContext: { open: RoomHandle; role: Role } | undefined;
  }
}

export interface Transport {
  connectionCount(): number;
  /** Closes every socket opened with a share (after it is revoked). */
  closeShare(shareId: string): void;
  close(): void;
}

/** What the transport keeps for one room socket. */
interface SocketState {
  /** Heard from since the last keepalive ping. */
  alive: boolean;
  /** The share link it was opened with, if any. */
  shareId: string | undefined;
  address: string;
  connection: RoomConnection;
  room: Room;
}

const BINARY = { binary: true } as const;

/** A socket as a room connection's sink: a class, so that a socket costs one small object here. */
class SocketSink implements ConnectionSink {
  constructor(private readonly socket: WebSocket) {}
  send(data: Uint8Array): void {
    this.socket.send(data, BINARY);
  }
  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
  terminate(): void {
    this.socket.terminate();
  }
  bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }
}

/**
 * Lets go of the upgrade's request and reply, which @fastify/websocket leaves reachable from
 * the socket for as long as it is open: through its error listener, and through the HTTP
 * response the socket was assigned to. That is a few kilobytes per socket (headers, streams
 * state, Fastify's request and reply) that an audience of thousands would hold for nothing.
 * The caller adds its own error listener after.
 */
export function forgetUpgrade(socket: WebSocket, request: FastifyRequest): void {
  socket.removeAllListeners('error');
  const raw = request.raw.socket as Socket & { _httpMessage?: ServerResponse | null };
  raw._httpMessage?.detachSocket(raw);
}

export async function registerWebSocketTransport(app: FastifyInstance, options: TransportOptions): Promise<Transport> {
  await app.register(websocket, {
    options: { maxPayload: options.maxMessageBytes, perMessageDeflate: false, handleProtocols: options.handleProtocols },
  });
  app.decorateRequest('roomContext', undefined);
  const sockets = new Map<WebSocket, SocketState>();
  // Share-link sockets by link and by address: one link, or one machine, cannot take them all.
  const byLink = new SocketCounts();
  const byAddress = new SocketCounts();

  // One set of listeners for every socket, finding its state by `this`: closures made per
  // socket would cost each of an audience's thousands of sockets their own.
  function onPong(this: WebSocket): void {
    const state = sockets.get(this);
    if (state) state.alive = true;
  }
  function onMessage(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[]): void {
    const state = sockets.get(this);
    if (!state) return;
    state.alive = true;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    state.room.receive(state.connection, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  function onClose(this: WebSocket): void {
    const state = sockets.get(this);
    if (!state) return;
    sockets.delete(this);
    if (state.shareId) {
      byLink.remove(state.shareId);
      byAddress.remove(state.address);
    }
    state.connection.released();
    state.room.leave(state.connection);
  }
  // The root logger, not the request's: a socket outlives its upgrade request.
  function onError(this: WebSocket, error: Error): void {
    app.log.warn({ err: error, fileId: sockets.get(this)?.room.fileId }, 'room socket error');
  }

  const ping = setInterval(() => {
    for (const [socket, state] of sockets) {
      if (!state.alive) {
        socket.terminate();
        continue;
      }
      state.alive = false;
      socket.ping();
    }
  }, options.pingIntervalMs);
  ping.unref();

  app.get<{ Params: { room: string }; Querystring: { sessionId?: string } }>(
    '/api/collaboration/room/:room',
    {
      websocket: true,
      // Everything that can fail is decided before the upgrade, as a plain HTTP answer.
      preValidation: async (request: FastifyRequest<{ Params: { room: string } }>) => {
        requirePrincipal(request);
        const origin = request.headers.origin;
        if (origin && !options.auth.isAllowedOrigin(request, origin)) throw forbidden('This origin may not open rooms');
        const match = ROOM_NAME.exec(request.params.room);
        if (!match) throw notFound('Unknown room; rooms are named json:notebook:{fileId}');
        const fileId = match[1];
        const role = requireRole(request, fileId, 'viewer');
        const principal = request.principal;
        if (principal?.kind === 'share') {
          if (byLink.count(principal.share.id) >= options.maxSocketsPerLink) {
            throw tooMany(`This link already has ${options.maxSocketsPerLink} connections open; close some and try again`, 'too_many_connections');
          }
          if (byAddress.count(request.ip) >= options.maxSocketsPerAddress) {
            throw tooMany(`Your address already has ${options.maxSocketsPerAddress} link connections open; close some and try again`, 'too_many_connections');
          }
        }
        const open = await options.rooms.openRoom(fileId);
        request.roomContext = { open, role };
      },
    },
    (socket, request) => {
      const { open, role } = request.roomContext!;
      const principal = request.principal!;
      request.roomContext = undefined;
      forgetUpgrade(socket, request);
      socket.on('error', onError);
      if (request.query.sessionId !== open.sessionId) {
        // The client holds a history this server no longer has: merging it would duplicate
        // content (jupyter-collaboration#594). It must reload instead.
        socket.close(CLOSE_UNKNOWN_SESSION, JSON.stringify({ reason: 'unknown_session', reloadable: true }));
        open.release();
        return;
      }
      if (!open.isCurrent()) {
        socket.close(CLOSE_SLOW_CLIENT, 'the room was reloaded; reconnect');
        return;
      }
      const room = open.room;
      const connection = new RoomConnection(new SocketSink(socket), role, principal.identity, options.budget.allowance());
      const state: SocketState = {
        alive: true,
        shareId: principal.kind === 'share' ? principal.share.id : undefined,
        address: request.ip,
        connection,
        room,
      };
      sockets.set(socket, state);
      if (state.shareId) {
        byLink.add(state.shareId);
        byAddress.add(state.address);
      }
      socket.on('pong', onPong);
      socket.on('message', onMessage);
      socket.on('close', onClose);
      room.join(connection);
    },
  );

  return {
    connectionCount: () => sockets.size,
    closeShare(shareId) {
      for (const [socket, state] of sockets) {
        if (state.shareId === shareId) {
          socket.close(CLOSE_ACCESS_REVOKED, closeReason('revoked', 'The link you opened this notebook with was revoked.'));
        }
      }
    },
    close() {
      clearInterval(ping);
      for (const socket of sockets.keys()) socket.terminate();
    },
  };
}
