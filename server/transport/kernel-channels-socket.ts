// The kernel channels WebSocket, /api/kernels/{id}/channels, as Jupyter Server serves it: the
// upgrade is authenticated and checked against the kernel before the socket opens (404 for a
// kernel the token cannot see, 403 below runner), then frames in either wire format are decoded
// here and handed to the kernel's channels. Framing lives in the kernel bridge; this file only
// moves bytes between `ws` and the channels.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { type ChannelMessage, decodeChannelFrame, encodeChannelFrame, KERNEL_WS_PROTOCOL_V1 } from '../../kernel-bridge';
import { forbidden } from '../errors';
import type { Authenticator } from '../http/auth';
import { requirePrincipal } from '../http/auth';
import type { JupyterApi } from '../jupyter';
import type { ChannelClient, KernelChannels } from '../jupyter/kernel-channels';
import { CLOSE_ACCESS_REVOKED, CLOSE_GOING_AWAY, closeReason } from '../rooms/connection';
import type { SendBudget } from './send-budget';
import { forgetUpgrade } from './websocket';

export interface ChannelsTransportOptions {
  auth: Authenticator;
  jupyter: JupyterApi;
  /** What all clients together, and each one, may have waiting to be sent. */
  budget: SendBudget;
}

export interface ChannelsTransport {
  connectionCount(): number;
  closeShare(shareId: string): void;
  close(): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    kernelChannels: KernelChannels | undefined;
  }
}

/** The subprotocol to accept from those a client offers (the ws server's handleProtocols). */
export function chooseKernelProtocol(offered: Set<string>): string | false {
  return offered.has(KERNEL_WS_PROTOCOL_V1) ? KERNEL_WS_PROTOCOL_V1 : false;
}

export function registerKernelChannelsTransport(app: FastifyInstance, options: ChannelsTransportOptions): ChannelsTransport {
  app.decorateRequest('kernelChannels', undefined);
  const sockets = new Map<WebSocket, { shareId?: string }>();

  app.get<{ Params: { id: string }; Querystring: { session_id?: string } }>(
    '/api/kernels/:id/channels',
    {
      websocket: true,
      preValidation: async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const principal = requirePrincipal(request);
        const origin = request.headers.origin;
        if (origin && !options.auth.isAllowedOrigin(request, origin)) throw forbidden('This origin may not open kernel channels');
        const { kernels } = options.jupyter;
        request.kernelChannels = kernels.channels(kernels.find(principal, request.params.id, 'runner'));
      },
    },
    (socket, request) => {
      const channels = request.kernelChannels!;
      request.kernelChannels = undefined;
      const principal = request.principal!;
      const protocol = socket.protocol === KERNEL_WS_PROTOCOL_V1 ? KERNEL_WS_PROTOCOL_V1 : '';
      const { username, name, color } = principal.identity;
      const sessionId = typeof request.query.session_id === 'string' && request.query.session_id ? request.query.session_id : undefined;
      const allowance = options.budget.allowance();
      const client: ChannelClient = {
        user: { username, name, color },
        // Scoped to the user, so nobody picks up what another user's socket missed.
        sessionId: sessionId && `${username}:${sessionId}`,
        send(message: ChannelMessage) {
          if (socket.readyState !== socket.OPEN) return;
          // A client that cannot keep up with iopub is cut off rather than buffered without
          // end; at once, as a close frame would wait behind the queue.
          if (!allowance.admit(socket.bufferedAmount)) {
            allowance.release();
            socket.terminate();
            return;
          }
          const frame = encodeChannelFrame(message, protocol);
          socket.send(frame.data, { binary: frame.binary });
        },
        close(reason) {
          socket.close(CLOSE_GOING_AWAY, reason);
        },
      };
      sockets.set(socket, { shareId: principal.kind === 'share' ? principal.share.id : undefined });
      forgetUpgrade(socket, request);
      socket.on('error', (error) => app.log.warn({ err: error }, 'kernel channels socket error'));
      // Messages are handled one after another, and only once the client is connected.
      let chain: Promise<void> = channels.connect(client).catch((error: unknown) => {
        app.log.warn({ err: error }, 'could not connect to the kernel');
        socket.close(CLOSE_GOING_AWAY, 'the kernel could not be reached');
      });
      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        const decoded = decodeChannelFrame(bytes, isBinary, protocol);
        if (!decoded.ok) {
          app.log.warn({ reason: decoded.reason }, 'dropped a kernel channels frame');
          return;
        }
        chain = chain.then(() => channels.receive(client, decoded.message));
      });
      socket.on('close', () => {
        sockets.delete(socket);
        allowance.release();
        channels.disconnect(client);
      });
    },
  );

  return {
    connectionCount: () => sockets.size,
    closeShare(shareId) {
      for (const [socket, state] of sockets) {
        if (state.shareId === shareId) socket.close(CLOSE_ACCESS_REVOKED, closeReason('revoked', 'The link was revoked.'));
      }
    },
    close() {
      for (const socket of sockets.keys()) socket.terminate();
    },
  };
}
