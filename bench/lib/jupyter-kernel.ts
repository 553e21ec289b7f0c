// A kernel on Jupyter Server, driven the way JupyterLab drives one: started with
// POST /api/kernels, reached over the kernel channels WebSocket (the JSON protocol every client
// speaks), made ready with kernel_info, and sent execute_request messages. Outputs come back on
// the iopub channel to this socket only: on Jupyter Server it is the requesting client that
// writes them into the shared document, for everyone else to see.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { executeRequest } from '../../kernel-bridge/index.js';
import type { ServerInfo } from '../servers/types.js';
import { api } from './rooms.js';

/** The Jupyter message fields the bench reads; the rest is passed through untouched. */
export interface WireMessage {
  channel: string;
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

export interface ExecuteTimes {
  /** First output (of any kind) for this request on iopub, ms after the request was sent. */
  firstOutputMs: number;
  /** The output itself, to hand on (JupyterLab writes it into the shared notebook). */
  firstOutput: WireMessage;
  /** The kernel went idle again after this request, ms after it was sent. */
  idleMs: number;
  /** Both the execute_reply and that idle status are in, ms after the request was sent: the round trip. */
  doneMs: number;
}

const OUTPUT_TYPES = new Set(['stream', 'display_data', 'execute_result', 'error']);

export class JupyterKernel {
  private readonly waiting = new Map<string, (m: WireMessage) => void>();

  private constructor(
    private readonly server: ServerInfo,
    readonly id: string,
    /** The client session: the socket's session_id, and the session of every header we send. */
    private readonly session: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data, isBinary) => {
      // Binary frames carry buffers (widgets); none of ours do.
      if (isBinary) return;
      const msg = JSON.parse(String(data)) as WireMessage;
      const parent = msg.parent_header?.msg_id;
      if (parent) this.waiting.get(parent)?.(msg);
    });
  }

  /** POST /api/kernels, then the channels socket, then kernel_info until iopub answers: a usable kernel. */
  static async start(server: ServerInfo, kernelName: string, timeoutMs: number): Promise<JupyterKernel> {
    const { id } = await api<{ id: string }>(server, 'POST', '/api/kernels', { name: kernelName });
    return JupyterKernel.connect(server, id, timeoutMs);
  }

  static async connect(server: ServerInfo, id: string, timeoutMs: number): Promise<JupyterKernel> {
    const session = randomUUID();
    const ws = new WebSocket(`ws://${server.host}:${server.port}/api/kernels/${id}/channels?session_id=${session}`, {
      headers: { authorization: `token ${server.token}` },
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const kernel = new JupyterKernel(server, id, session, ws);
    try {
      await kernel.ready(timeoutMs);
    } catch (error) {
      await kernel.shutdown();
      throw error;
    }
    return kernel;
  }

  /**
   * Asks kernel_info until a reply and an iopub status have both arrived: as with ZeroMQ, an
   * execute sent before iopub is wired up can lose its first outputs.
   */
  private async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const msgId = this.send('shell', 'kernel_info_request', {});
      let replied = false;
      let iopub = false;
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 500);
        this.waiting.set(msgId, (m) => {
          if (m.channel === 'shell' && m.header.msg_type === 'kernel_info_reply') replied = true;
          if (m.channel === 'iopub' && m.header.msg_type === 'status') iopub = true;
          if (replied && iopub) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
      this.waiting.delete(msgId);
      if (ok) return;
    }
    throw new Error(`Jupyter Server's kernel ${this.id} was not ready within ${timeoutMs} ms`);
  }

  private send(channel: 'shell' | 'control', msgType: string, content: object, metadata: object = {}): string {
    const msgId = randomUUID();
    this.ws.send(
      JSON.stringify({
        channel,
        header: { msg_id: msgId, msg_type: msgType, username: 'bench', session: this.session, date: new Date().toISOString(), version: '5.3' },
        parent_header: {},
        metadata,
        content,
        buffers: [],
      }),
    );
    return msgId;
  }

  /**
   * Sends one execute_request; resolves once the kernel is idle again. `onFirstOutput` runs as
   * soon as the first output arrives (the requester writing it into the shared notebook).
   * `metadata` goes on the request as JupyterLab's does (its `cellId` names the cell that runs).
   */
  execute(code: string, timeoutMs: number, onFirstOutput?: (m: WireMessage) => void, metadata?: object): Promise<ExecuteTimes> {
    return new Promise((resolve, reject) => {
      let first: { ms: number; msg: WireMessage } | undefined;
      let replied = false;
      let idleMs: number | undefined;
      const started = performance.now();
      const msgId = this.send('shell', 'execute_request', executeRequest(code, { allow_stdin: false }), metadata);
      const timer = setTimeout(() => {
        this.waiting.delete(msgId);
        reject(new Error(`no answer to execute_request within ${timeoutMs} ms`));
      }, timeoutMs);
      // Registered before any answer can arrive: the socket delivers on a later turn.
      this.waiting.set(msgId, (m) => {
        const at = performance.now() - started;
        if (m.channel === 'iopub' && !first && OUTPUT_TYPES.has(m.header.msg_type)) {
          first = { ms: at, msg: m };
          onFirstOutput?.(m);
        }
        if (m.channel === 'shell' && m.header.msg_type === 'execute_reply') replied = true;
        if (m.channel === 'iopub' && m.header.msg_type === 'status' && m.content.execution_state === 'idle') idleMs = at;
        if (replied && idleMs !== undefined) {
          clearTimeout(timer);
          this.waiting.delete(msgId);
          if (!first) reject(new Error(`the code produced no output: ${code}`));
          else resolve({ firstOutputMs: first.ms, firstOutput: first.msg, idleMs, doneMs: at });
        }
      });
    });
  }

  /** Closes the socket and shuts the kernel down (DELETE /api/kernels/{id}). */
  async shutdown(): Promise<void> {
    this.ws.close();
    await api(this.server, 'DELETE', `/api/kernels/${this.id}`).catch(() => undefined);
  }
}
