// A cheap Yjs client: one `ws` socket speaking y-protocols frames directly. With a Y.Doc it is
// a full peer (applies what arrives, sends what it changes); without one it only syncs and
// watches the raw bytes, which is what lets one load process hold a thousand observers.
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { Dialect } from './dialect.js';
import { classify, EMPTY_STATE_VECTOR, EMPTY_UPDATE, type FrameKind, syncStep1, syncStep2, syncUpdate } from './frames.js';
import { now } from './stats.js';

export interface LoadClientOptions {
  url: string;
  dialect: Dialect;
  /** Keep a replica: apply incoming updates and send local ones. */
  doc?: Y.Doc;
  /** A viewer never answers the server's sync step 1 (its step 2 would be refused). */
  readOnly?: boolean;
  /**
   * Relay host (the floor): answer every forwarded sync step 1 with our whole state, encoded
   * once per change, because the relay keeps no document of its own.
   */
  host?: boolean;
  /** Raw update payloads as they arrive, with the receive time (for tag scanning). */
  onUpdate?: (payload: Uint8Array, receivedAt: number) => void;
  /** Raw awareness payloads as they arrive. */
  onAwareness?: (payload: Uint8Array) => void;
  /** Bytes larger than this in one frame are refused by `ws` (default 256 MiB). */
  maxPayload?: number;
  /**
   * Loopback address to connect from (any of 127/8): thousands of clients then come from
   * several addresses, as an audience would, each with its own range of ephemeral ports.
   */
  localAddress?: string;
}

export class LoadClient {
  readonly opts: LoadClientOptions;
  ws: WebSocket | null = null;
  /** Permission-denied answers received (viewers writing). */
  denied = 0;
  closeCode: number | null = null;
  closeReason = '';
  bytesReceived = 0;
  /** Updates from the server that this replica could not apply (the fuzzer's hostile echoes). */
  applyErrors = 0;
  private syncWaiters: Array<(payloadBytes: number) => void> = [];
  private hostState: Uint8Array | null = null;
  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    this.hostState = null;
    if (origin !== this && this.isOpen()) this.sendFrame(syncUpdate(update));
  };

  constructor(opts: LoadClientOptions) {
    this.opts = opts;
    opts.doc?.on('update', this.onDocUpdate);
  }

  isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Opens the socket; resolves once it is open, rejects if it closes first. */
  connect(timeoutMs = 30_000): Promise<void> {
    this.closeCode = null;
    const ws = new WebSocket(this.opts.url, {
      perMessageDeflate: false,
      maxPayload: this.opts.maxPayload ?? 256 * 1024 * 1024,
      handshakeTimeout: timeoutMs,
      localAddress: this.opts.localAddress,
    });
    ws.binaryType = 'nodebuffer';
    this.ws = ws;
    ws.on('message', (data: Buffer) => this.receive(data));
    // Errors after the handshake show up as a close; without a listener `ws` would throw.
    ws.on('error', () => {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        for (const frame of this.opts.dialect.hello()) ws.send(frame);
        resolve();
      });
      ws.once('error', (err) => reject(err));
      ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        reject(new Error(`socket closed before open (${code})`));
        // Anyone still waiting for a sync will not get one on this socket.
        for (const w of this.syncWaiters.splice(0)) w(-1);
      });
    });
  }

  /**
   * Sends sync step 1 and resolves with the size of the server's step 2 (applied to the doc if
   * there is one), or -1 if the socket closed first.
   */
  sync(): Promise<number> {
    const sv = this.opts.doc ? Y.encodeStateVector(this.opts.doc) : EMPTY_STATE_VECTOR;
    const p = new Promise<number>((resolve) => this.syncWaiters.push(resolve));
    this.sendFrame(syncStep1(sv));
    return p;
  }

  sendFrame(frame: Uint8Array): void {
    if (!this.isOpen()) return;
    this.ws!.send(this.opts.dialect.wrap(frame));
  }

  /** Sends bytes exactly as given, bypassing the dialect (fuzzing). */
  sendRaw(data: Uint8Array): void {
    if (this.isOpen()) this.ws!.send(data);
  }

  /** Resolves once everything queued on the socket has been handed to the kernel. */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.ws || this.ws.bufferedAmount === 0 || !this.isOpen()) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
      // A server that never answers the close handshake must not hold up the run.
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  /** Drops the socket without a close handshake, as a network failure would. */
  terminate(): void {
    this.ws?.terminate();
  }

  destroy(): void {
    this.opts.doc?.off('update', this.onDocUpdate);
    this.terminate();
  }

  private apply(doc: Y.Doc, update: Uint8Array): void {
    try {
      Y.applyUpdate(doc, update, this);
    } catch {
      // A hostile update (say, JSON nested deeper than the stack) relayed by the server must
      // not take the load process down; the fuzzer counts these.
      this.applyErrors++;
    }
  }

  private receive(data: Buffer): void {
    this.bytesReceived += data.length;
    const frame = this.opts.dialect.unwrap(data);
    if (!frame || frame.length === 0) return;
    let msg: FrameKind;
    try {
      msg = classify(frame);
    } catch {
      return; // A frame we cannot read is the server's problem, not the measurement's.
    }
    const doc = this.opts.doc;
    switch (msg.kind) {
      case 'step1': {
        if (this.opts.host && doc) {
          this.hostState ??= Y.encodeStateAsUpdate(doc);
          this.sendFrame(syncStep2(this.hostState));
        } else if (!this.opts.readOnly) {
          this.sendFrame(syncStep2(doc ? Y.encodeStateAsUpdate(doc, msg.payload) : EMPTY_UPDATE));
        }
        return;
      }
      case 'step2': {
        if (doc) this.apply(doc, msg.payload);
        const w = this.syncWaiters.shift();
        if (w) w(msg.payload.length);
        return;
      }
      case 'update': {
        if (doc) this.apply(doc, msg.payload);
        this.opts.onUpdate?.(msg.payload, now());
        return;
      }
      case 'awareness':
        this.opts.onAwareness?.(msg.payload);
        return;
      case 'auth':
        if (msg.denied) this.denied++;
        return;
      default:
        return;
    }
  }
}
