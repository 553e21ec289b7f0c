// One kernel's five ZeroMQ sockets: sends signed requests, and turns every frame set that
// arrives into a validated message event. Malformed, unsigned or wrongly signed messages are
// logged and dropped here, at the edge; nothing a kernel sends can throw out of this class.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Dealer, Subscriber } from 'zeromq';
import type { BridgeLogger } from '../logger';
import { describeError } from '../logger';
import { type ConnectionInfo, socketAddress } from '../protocol/connection-info';
import type { TypedContent } from '../protocol/content';
import { type Channel, createMessage, type JupyterMessage, type MessageHeader } from '../protocol/message';
import { readContent } from '../protocol/validate';
import { parseMessage, serializeMessage } from '../protocol/wire';
import { Heartbeat } from './heartbeat';
import { createDealer, createSubscriber } from './zmq-sockets';

export interface KernelConnectionOptions {
  logger: BridgeLogger;
  /** Header username for requests that do not name one. */
  username: string;
  heartbeatIntervalMs: number;
  heartbeatMaxMisses: number;
}

export interface IncomingMessage {
  channel: Channel;
  message: JupyterMessage;
  /** Validated content for the message types the bridge reads; null for the others. */
  typed: TypedContent | null;
}

interface ConnectionEvents {
  message: [IncomingMessage];
  heartbeatFailed: [missed: number];
}

export type RequestChannel = Exclude<Channel, 'iopub'>;

export interface SendOptions {
  parent?: MessageHeader;
  username?: string;
}

export class KernelConnection extends EventEmitter<ConnectionEvents> {
  /** Client session id: the `session` of every header we send, and our ZeroMQ routing id. */
  readonly sessionId = randomUUID();
  private readonly key: Buffer;
  private readonly dealers: Record<RequestChannel, Dealer>;
  private readonly iopub: Subscriber;
  private readonly heartbeat: Heartbeat;
  // zeromq.js allows one pending send per socket; chaining keeps a burst from failing with EBUSY.
  private readonly sendChains: Record<RequestChannel, Promise<void>>;
  private closed = false;

  constructor(
    info: ConnectionInfo,
    private readonly options: KernelConnectionOptions,
  ) {
    super();
    this.key = Buffer.from(info.key, 'utf8');
    // ipykernel sends input_request to the stdin peer whose routing id matches the shell peer
    // that asked, so shell and stdin share one id (as jupyter_client does).
    this.dealers = {
      shell: createDealer(this.sessionId),
      control: createDealer(this.sessionId),
      stdin: createDealer(this.sessionId),
    };
    this.iopub = createSubscriber();
    this.sendChains = { shell: Promise.resolve(), control: Promise.resolve(), stdin: Promise.resolve() };
    for (const channel of ['shell', 'control', 'stdin'] as const) {
      this.dealers[channel].connect(socketAddress(info, channel));
      void this.receiveLoop(channel, this.dealers[channel]);
    }
    this.iopub.connect(socketAddress(info, 'iopub'));
    void this.receiveLoop('iopub', this.iopub);
    this.heartbeat = new Heartbeat(socketAddress(info, 'hb'), {
      intervalMs: options.heartbeatIntervalMs,
      maxMisses: options.heartbeatMaxMisses,
      logger: options.logger,
      onFailure: (missed) => this.safely('heartbeatFailed', () => this.emit('heartbeatFailed', missed)),
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Signs and queues a request; returns its msg_id at once. */
  send(channel: RequestChannel, msgType: string, content: object, options: SendOptions = {}): string {
    const message = createMessage({
      msgType,
      content,
      session: this.sessionId,
      username: options.username ?? this.options.username,
      parent: options.parent,
    });
    return this.sendMessage(channel, message);
  }

  /** Signs and queues a message made elsewhere (a Jupyter client's), its header kept; returns its msg_id. */
  sendMessage(channel: RequestChannel, message: JupyterMessage): string {
    if (this.closed) return message.header.msg_id;
    const frames = serializeMessage(message, this.key);
    const socket = this.dealers[channel];
    const msgType = message.header.msg_type;
    this.sendChains[channel] = this.sendChains[channel]
      .then(() => socket.send(frames))
      .catch((error: unknown) => {
        if (!this.closed) this.options.logger.warn({ channel, msgType, error: describeError(error) }, 'kernel request not sent');
      });
    return message.header.msg_id;
  }

  startHeartbeat(): void {
    this.heartbeat.start();
  }

  /** Closes all five sockets; pending receives end and pending sends are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.heartbeat.close();
    for (const socket of Object.values(this.dealers)) socket.close();
    this.iopub.close();
    this.removeAllListeners();
  }

  private async receiveLoop(channel: Channel, socket: Dealer | Subscriber): Promise<void> {
    const budget = channel === 'iopub' ? new ByteBudget(IOPUB_BYTES_PER_SECOND, IOPUB_BURST_BYTES) : undefined;
    try {
      for await (const frames of socket) {
        this.handleFrames(channel, frames);
        // Past the budget, stop reading for a moment: what the kernel sends meanwhile waits
        // in, then overflows, ZeroMQ's small queue, instead of taking the server's event loop
        // (and every other notebook's responsiveness) with it.
        const wait = budget?.spend(frames.reduce((n, frame) => n + frame.length, 0)) ?? 0;
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (this.closed) return;
      }
    } catch (error) {
      if (!this.closed) this.options.logger.error({ channel, error: describeError(error) }, 'kernel socket failed');
    }
  }

  private handleFrames(channel: Channel, frames: Buffer[]): void {
    const parsed = parseMessage(frames, this.key);
    if (!parsed.ok) {
      this.options.logger.warn({ channel, reason: parsed.reason }, 'dropped a kernel message');
      return;
    }
    const { message } = parsed;
    const content = readContent(message);
    if (!content.ok) {
      this.options.logger.warn({ channel, msgType: message.header.msg_type, reason: content.reason }, 'dropped a kernel message');
      return;
    }
    this.safely('message', () => this.emit('message', { channel, message, typed: content.typed }));
  }

  // A listener's bug must not end the receive loop and silence the kernel.
  private safely(event: keyof ConnectionEvents, emit: () => void): void {
    try {
      emit();
    } catch (error) {
      this.options.logger.error({ event, error: describeError(error) }, 'kernel message listener threw');
    }
  }
}

/** iopub bytes a second one kernel may make the server process; a flood beyond is dropped. */
const IOPUB_BYTES_PER_SECOND = 16 * 1024 * 1024;
const IOPUB_BURST_BYTES = 32 * 1024 * 1024;

/** A token bucket of bytes: how long to wait after spending some. */
class ByteBudget {
  private available: number;
  private last = Date.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.available = burst;
  }

  spend(bytes: number): number {
    const now = Date.now();
    this.available = Math.min(this.burst, this.available + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    this.available -= bytes;
    return this.available >= 0 ? 0 : Math.ceil((-this.available / this.perSecond) * 1000);
  }
}
