// The channels of one kernel as Jupyter clients see them: any number of clients (channels
// sockets) share the kernel. Each gets the replies to its own requests and everyone's iopub,
// the room's runs included. A client's execute_request joins the kernel's run queue as a run of
// its user; kernel_info is answered from the cached reply; interrupt and shutdown on control are
// the same actions as the REST API's; stdin replies are taken only from the client whose run
// asked. Other requests (complete, inspect, comms, history) pass through. No transport here.

import { randomUUID } from 'node:crypto';
import type { UserRef } from '../../common/doc-schema';
import {
  type ChannelMessage,
  createMessage,
  type JupyterMessage,
  type KernelHandle,
  type KernelMessageEvent,
  type RunFinishedEvent,
} from '../../kernel-bridge';

/** What the channels act on: a notebook's shared kernel or a standalone one. */
export interface ChannelsTarget {
  handle(): Promise<KernelHandle>;
  /** Queues a client's execute_request as run `runId` of `user`. */
  execute(message: JupyterMessage, user: UserRef, runId: string): Promise<void>;
  /** Answers a run's input(); throws if `username` may not. */
  input(runId: string, username: string, value: string): void;
  interrupt(): Promise<void>;
  restart(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface ChannelClient {
  readonly user: UserRef;
  /** The client's session_id: a socket that comes back with it gets what it missed. */
  readonly sessionId?: string;
  send(message: ChannelMessage): void;
  /** The kernel is gone for good (its notebook closed, or it was shut down). */
  close(reason: string): void;
}

interface Pending {
  client: ChannelClient;
  /** The request's header, for answers the kernel never gave. */
  header?: JupyterMessage['header'];
  runId?: string;
  replied: boolean;
  idle: boolean;
}

/** Requests remembered for routing their replies; the oldest are forgotten beyond this. */
const MAX_PENDING = 10_000;
/** How long, and how much, a dropped client's messages are kept for its return. */
const PARK_MS = 60_000;
const MAX_PARKED_MESSAGES = 5_000;

/** What a dropped client missed, kept for a socket that comes back with its session_id. */
interface Parked {
  client: ChannelClient;
  messages: ChannelMessage[];
  timer: NodeJS.Timeout;
}

type Log = { warn(obj: object, msg?: string): void; debug(obj: object, msg?: string): void };

export class KernelChannels {
  private readonly clients = new Set<ChannelClient>();
  /** By the msg_id of the client's request (or of the kernel's input_request). */
  private readonly pending = new Map<string, Pending>();
  private readonly byRun = new Map<string, string>();
  private readonly parked = new Map<string, Parked>();
  private handle: KernelHandle | undefined;
  private attaching: Promise<KernelHandle> | undefined;
  private lastSession: string = randomUUID();

  constructor(
    private readonly target: ChannelsTarget,
    private readonly log: Log,
  ) {}

  get connections(): number {
    return this.clients.size;
  }

  async connect(client: ChannelClient): Promise<void> {
    await this.attach();
    this.clients.add(client);
    // Coming back with the session_id of a dropped socket, as Jupyter Server's clients do after
    // a network blip: the replies and iopub it missed, in order, then the live stream.
    const parked = client.sessionId ? this.parked.get(client.sessionId) : undefined;
    if (!parked || !client.sessionId) return;
    this.unpark(client.sessionId);
    for (const entry of this.pending.values()) if (entry.client === parked.client) entry.client = client;
    for (const message of parked.messages) this.deliver(client, message);
  }

  disconnect(client: ChannelClient): void {
    if (!this.clients.delete(client) || !client.sessionId) return;
    this.unpark(client.sessionId);
    const timer = setTimeout(() => this.unpark(client.sessionId!), PARK_MS);
    timer.unref();
    this.parked.set(client.sessionId, { client, messages: [], timer });
  }

  /** One message from a client; never throws for bad input (it is logged and dropped). */
  async receive(client: ChannelClient, message: ChannelMessage): Promise<void> {
    if (!this.clients.has(client)) return;
    const type = message.header.msg_type;
    try {
      if (message.channel === 'shell') {
        if (type === 'kernel_info_request') await this.kernelInfo(client, message);
        else if (type === 'execute_request') await this.execute(client, message);
        else await this.pass(client, 'shell', message);
      } else if (message.channel === 'control') {
        if (type === 'interrupt_request') {
          await this.target.interrupt();
          this.reply(client, message, 'control', 'interrupt_reply', { status: 'ok' });
        } else if (type === 'shutdown_request') {
          const restart = (message.content as { restart?: unknown }).restart === true;
          await (restart ? this.target.restart() : this.target.shutdown());
          this.reply(client, message, 'control', 'shutdown_reply', { status: 'ok', restart });
        } else await this.pass(client, 'control', message);
      } else if (message.channel === 'stdin' && type === 'input_reply') {
        this.inputReply(client, message);
      }
    } catch (error) {
      this.log.warn({ msgType: type, err: error }, 'a kernel channels request failed');
      if (type === 'execute_request') this.abort(client, message, (error as Error).message);
    }
  }

  dispose(reason = 'the kernel was shut down'): void {
    for (const sessionId of [...this.parked.keys()]) this.unpark(sessionId);
    for (const client of this.clients) client.close(reason);
    this.clients.clear();
    this.pending.clear();
    this.byRun.clear();
    this.handle?.off('message', this.onMessage);
    this.handle?.off('runFinished', this.onRunFinished);
    this.handle?.off('status', this.onStatus);
  }

  private attach(): Promise<KernelHandle> {
    this.attaching ??= this.target.handle().then((handle) => {
      this.handle = handle;
      handle.on('message', this.onMessage);
      handle.on('runFinished', this.onRunFinished);
      handle.on('status', this.onStatus);
      return handle;
    });
    this.attaching.catch(() => {
      this.attaching = undefined;
    });
    return this.attaching;
  }

  /**
   * The kernel once it is up, waiting out a start or restart under way; undefined if it is shut
   * down or dead. A client never starts a kernel by talking to it, as with Jupyter Server.
   */
  private async running(): Promise<KernelHandle | undefined> {
    const handle = await this.attach();
    // start() is queued behind the start under way and does nothing once a kernel is up. In any
    // other state without a kernel, one is being shut down: starting it again would undo that.
    if (!handle.kernelInfoReply && (handle.status === 'starting' || handle.status === 'restarting')) await handle.start();
    return handle.kernelInfoReply ? handle : undefined;
  }

  private async kernelInfo(client: ChannelClient, request: ChannelMessage): Promise<void> {
    const handle = await this.running();
    if (!handle?.kernelInfoReply) return;
    const cached = handle.kernelInfoReply;
    this.lastSession = cached.header.session || this.lastSession;
    // Bracketed by busy and idle as a kernel brackets every request: a client's request is done
    // only once its idle arrives, and @jupyterlab/services cancels (rejecting, unhandled) a
    // kernel_info that is not done when it restarts.
    this.reply(client, request, 'iopub', 'status', { execution_state: 'busy' });
    this.reply(client, request, 'shell', 'kernel_info_reply', cached.content as object);
    this.reply(client, request, 'iopub', 'status', { execution_state: 'idle' });
    // JupyterLab learns the kernel's state only from iopub status: one that joins while a cell
    // runs is told it is busy again, on no request of its own.
    if (handle.status === 'busy') this.deliver(client, this.message(undefined, 'iopub', 'status', { execution_state: 'busy' }));
  }

  private async execute(client: ChannelClient, request: ChannelMessage): Promise<void> {
    const entry: Pending = { client, header: request.header, replied: false, idle: false };
    this.remember(request.header.msg_id, entry);
    await this.attach();
    const { channel: _channel, ...message } = request;
    // Known before the run is queued: a run on a dead kernel finishes at once.
    entry.runId = randomUUID();
    this.byRun.set(entry.runId, request.header.msg_id);
    await this.target.execute(message, client.user, entry.runId);
  }

  private async pass(client: ChannelClient, channel: 'shell' | 'control', request: ChannelMessage): Promise<void> {
    const handle = await this.running();
    const { channel: _channel, ...message } = request;
    this.remember(request.header.msg_id, { client, replied: false, idle: false });
    if (!handle?.send(channel, { ...message, header: { ...message.header, username: client.user.username } })) {
      this.log.debug({ msgType: request.header.msg_type }, 'no kernel to pass a request to');
    }
  }

  private inputReply(client: ChannelClient, message: ChannelMessage): void {
    const parent = 'msg_id' in message.parent_header ? message.parent_header.msg_id : undefined;
    const asked = parent ? this.pending.get(parent) : undefined;
    // Another socket's answer (or a guess) must not reach someone else's input().
    if (!asked || asked.client !== client || !asked.runId) {
      this.log.warn({}, 'ignored an input_reply from a socket whose run did not ask');
      return;
    }
    const value = (message.content as { value?: unknown }).value;
    this.pending.delete(parent!);
    this.target.input(asked.runId, client.user.username, typeof value === 'string' ? value : '');
  }

  /** A kernel that is shut down closes its channels, as Jupyter Server's do; clients then see it gone. */
  private readonly onStatus = ({ status }: { status: string }): void => {
    if (status !== 'shutdown') return;
    for (const client of this.clients) client.close('the kernel was shut down');
    this.clients.clear();
  };

  private readonly onMessage = ({ channel, message }: KernelMessageEvent): void => {
    this.lastSession = message.header.session || this.lastSession;
    const parent = 'msg_id' in message.parent_header ? message.parent_header.msg_id : undefined;
    const entry = parent ? this.pending.get(parent) : undefined;
    if (channel === 'iopub') {
      if (entry && message.header.msg_type === 'status' && (message.content as { execution_state?: unknown }).execution_state === 'idle') {
        entry.idle = true;
      }
      for (const client of this.clients) this.deliver(client, { ...message, channel });
      for (const parked of this.parked.values()) this.deliver(parked.client, { ...message, channel });
      return;
    }
    if (!entry) return;
    if (channel === 'stdin' && message.header.msg_type === 'input_request') {
      // The answer will name this input_request as its parent.
      this.remember(message.header.msg_id, { client: entry.client, runId: entry.runId, replied: true, idle: true });
    } else if (channel === 'shell' || channel === 'control') {
      entry.replied = true;
      if (!entry.runId) this.pending.delete(parent!);
    }
    this.deliver(entry.client, { ...message, channel });
  };

  /** A run that ended without the kernel answering (aborted, restarted, died) still answers its client. */
  private readonly onRunFinished = (event: RunFinishedEvent): void => {
    const msgId = this.byRun.get(event.runId);
    if (!msgId) return;
    this.byRun.delete(event.runId);
    const entry = this.pending.get(msgId);
    this.pending.delete(msgId);
    if (!entry?.header || (entry.replied && entry.idle)) return;
    const parent = entry.header;
    if (!entry.replied) {
      const status = event.status === 'error' ? 'error' : 'aborted';
      this.deliver(entry.client, this.message(parent, 'shell', 'execute_reply', { status, execution_count: event.executionCount, ...(event.error ?? {}) }));
    }
    if (!entry.idle) this.deliver(entry.client, this.message(parent, 'iopub', 'status', { execution_state: 'idle' }));
  };

  private abort(client: ChannelClient, request: ChannelMessage, reason: string): void {
    const runId = this.pending.get(request.header.msg_id)?.runId;
    if (runId) this.byRun.delete(runId);
    this.pending.delete(request.header.msg_id);
    this.reply(client, request, 'shell', 'execute_reply', { status: 'error', ename: 'TandemError', evalue: reason, traceback: [] });
    this.reply(client, request, 'iopub', 'status', { execution_state: 'idle' });
  }

  private reply(client: ChannelClient, request: ChannelMessage, channel: ChannelMessage['channel'], msgType: string, content: object): void {
    this.deliver(client, this.message(request.header, channel, msgType, content));
  }

  private message(parent: JupyterMessage['header'] | undefined, channel: ChannelMessage['channel'], msgType: string, content: object): ChannelMessage {
    // The kernel's session id, so clients that drop messages of an old kernel session keep these.
    return { ...createMessage({ msgType, content, session: this.lastSession, username: 'kernel', parent }), channel };
  }

  private deliver(client: ChannelClient, message: ChannelMessage): void {
    if (!this.clients.has(client)) {
      const parked = client.sessionId ? this.parked.get(client.sessionId) : undefined;
      if (parked?.client === client && parked.messages.length < MAX_PARKED_MESSAGES) parked.messages.push(message);
      return;
    }
    try {
      client.send(message);
    } catch (error) {
      this.log.warn({ err: error }, 'could not send to a kernel channels client');
    }
  }

  private unpark(sessionId: string): void {
    const parked = this.parked.get(sessionId);
    if (!parked) return;
    clearTimeout(parked.timer);
    this.parked.delete(sessionId);
  }

  private remember(msgId: string, entry: Pending): void {
    this.pending.set(msgId, entry);
    if (this.pending.size > MAX_PENDING) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
  }
}
