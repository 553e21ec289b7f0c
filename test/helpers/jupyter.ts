// Jupyter clients pointed at a Tandem server: @jupyterlab/services as JupyterLab and VS Code
// use it, over `ws` in Node.

import type { Kernel, KernelMessage } from '@jupyterlab/services';

/** The JSON objects @jupyterlab/services takes for metadata and content. */
type JSONObject = NonNullable<Parameters<Kernel.IKernelConnection['requestExecute']>[2]>;

import { KernelManager, ServerConnection, SessionManager } from '@jupyterlab/services';
import { deserialize, serialize } from '@jupyterlab/services/lib/kernel/serialize';
import WebSocket from 'ws';
import type { TandemProcess } from './tandem';

export function jupyterSettings(server: TandemProcess, token: string = server.token): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: `${server.base}/`,
    wsUrl: `${server.wsBase}/`,
    token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
}

export interface JupyterClients {
  kernels: KernelManager;
  sessions: SessionManager;
  dispose(): void;
}

export function jupyterClients(server: TandemProcess, token: string = server.token): JupyterClients {
  const serverSettings = jupyterSettings(server, token);
  const kernels = new KernelManager({ serverSettings });
  const sessions = new SessionManager({ serverSettings, kernelManager: kernels });
  return {
    kernels,
    sessions,
    dispose() {
      sessions.dispose();
      kernels.dispose();
    },
  };
}

/** What one execute_request brought back: its iopub messages and its reply. */
export interface ExecuteResult {
  reply: KernelMessage.IExecuteReplyMsg;
  iopub: KernelMessage.IIOPubMessage[];
}

export async function run(kernel: Kernel.IKernelConnection, code: string, metadata: JSONObject = {}): Promise<ExecuteResult> {
  const iopub: KernelMessage.IIOPubMessage[] = [];
  const future = kernel.requestExecute({ code, stop_on_error: false }, true, metadata);
  future.onIOPub = (message) => {
    iopub.push(message);
  };
  const reply = await future.done;
  return { reply: reply as KernelMessage.IExecuteReplyMsg, iopub };
}

/** The text a run printed to stdout. */
export function stdout(result: ExecuteResult): string {
  return result.iopub
    .filter((m) => m.header.msg_type === 'stream')
    .map((m) => (m.content as { text: string }).text)
    .join('');
}

/** A raw kernel channels socket, framed by @jupyterlab/services' own serializer. */
export interface RawChannels {
  socket: WebSocket;
  protocol: string;
  received: (KernelMessage.IMessage & { binaryFrame: boolean })[];
  send(
    channel: KernelMessage.Channel,
    msgType: string,
    content: JSONObject,
    options?: { buffers?: ArrayBuffer[]; parent?: JSONObject; metadata?: JSONObject },
  ): string;
  /** Waits for a message that `match` accepts. */
  next(match: (message: KernelMessage.IMessage) => boolean, timeoutMs?: number): Promise<KernelMessage.IMessage>;
  close(): void;
}

export function openChannels(
  server: TandemProcess,
  kernelId: string,
  options: { token?: string; protocol?: string; sessionId?: string } = {},
): Promise<RawChannels> {
  const url = `${server.wsBase}/api/kernels/${kernelId}/channels?session_id=${options.sessionId ?? crypto.randomUUID()}&token=${options.token ?? server.token}`;
  const socket = new WebSocket(url, options.protocol ? [options.protocol] : []);
  socket.binaryType = 'arraybuffer';
  const received: RawChannels['received'] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data: ArrayBuffer | Buffer, isBinary: boolean) => {
    const payload = isBinary ? (data as ArrayBuffer) : data.toString();
    const message = deserialize(payload as ArrayBuffer, socket.protocol) as KernelMessage.IMessage;
    received.push({ ...message, binaryFrame: isBinary });
    for (const wake of waiters) wake();
  });
  const session = crypto.randomUUID();
  const channels: RawChannels = {
    socket,
    get protocol() {
      return socket.protocol;
    },
    received,
    send(channel, msgType, content, extra = {}) {
      const msgId = crypto.randomUUID();
      const message = {
        channel,
        header: { msg_id: msgId, msg_type: msgType, session, username: 'raw', date: new Date().toISOString(), version: '5.3' },
        parent_header: extra.parent ?? {},
        metadata: extra.metadata ?? {},
        content,
        buffers: extra.buffers ?? [],
      };
      socket.send(serialize(message as unknown as KernelMessage.IMessage, socket.protocol));
      return msgId;
    },
    next(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < received.length; seen++) {
            if (match(received[seen])) {
              cleanup();
              resolve(received[seen]);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching message; got ${received.map((m) => `${m.channel}:${m.header.msg_type}`).join(', ')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      socket.close();
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(channels));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** A message answering `msgId` (by parent_header). */
export const answering = (msgId: string, msgType?: string) => (message: KernelMessage.IMessage) =>
  (message.parent_header as { msg_id?: string }).msg_id === msgId && (msgType === undefined || message.header.msg_type === msgType);

/** The iopub idle status that ends the request `msgId`: everything it printed has arrived by then. */
export const idleAfter = (msgId: string) => (message: KernelMessage.IMessage) =>
  message.channel === 'iopub' && answering(msgId, 'status')(message) && (message.content as { execution_state: string }).execution_state === 'idle';
