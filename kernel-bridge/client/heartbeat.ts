// Kernel heartbeat: ping the kernel's hb port every interval; after `maxMisses` pings in a row go
// unanswered, report the kernel dead. This catches kernels that are alive but frozen (stopped,
// swapped out, a pod whose network went away), which process-exit watching cannot see.

import type { BridgeLogger } from '../logger';
import { describeError } from '../logger';
import { createHeartbeatRequest } from './zmq-sockets';

export interface HeartbeatOptions {
  intervalMs: number;
  maxMisses: number;
  onFailure: (missed: number) => void;
  logger: BridgeLogger;
}

const PING = Buffer.from('ping');

export class Heartbeat {
  private readonly socket = createHeartbeatRequest();
  private timer: NodeJS.Timeout | undefined;
  private answered = true;
  private receiving = false;
  private misses = 0;
  private closed = false;

  constructor(
    address: string,
    private readonly options: HeartbeatOptions,
  ) {
    this.socket.connect(address);
  }

  /** Starts pinging; call once the kernel is known to be up, so startup time is not a miss. */
  start(): void {
    if (this.closed || this.timer) return;
    this.ping();
    this.timer = setInterval(() => this.beat(), this.options.intervalMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.socket.close();
  }

  private beat(): void {
    if (!this.answered) {
      this.misses += 1;
      if (this.misses >= this.options.maxMisses) {
        const missed = this.misses;
        this.close();
        this.options.onFailure(missed);
        return;
      }
    }
    this.ping();
  }

  private ping(): void {
    this.answered = false;
    this.socket.send(PING).then(
      () => this.listen(),
      // With sendTimeout 0 a send to a peer that stopped reading fails at once; that ping
      // simply counts as missed.
      (error: unknown) => this.logFailure('heartbeat ping not sent', error),
    );
  }

  // A Request socket may only receive after a send, so we wait for one reply at a time.
  private listen(): void {
    if (this.receiving || this.closed) return;
    this.receiving = true;
    this.socket.receive().then(
      () => {
        this.receiving = false;
        this.answered = true;
        this.misses = 0;
      },
      (error: unknown) => {
        this.receiving = false;
        this.logFailure('heartbeat receive failed', error);
      },
    );
  }

  private logFailure(message: string, error: unknown): void {
    if (!this.closed) this.options.logger.debug({ error: describeError(error) }, message);
  }
}
