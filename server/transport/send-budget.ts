// How much the server may hold for clients that are slow to read. Each socket has its own
// limit, and all sockets together share one budget: without it, a few clients that never
// read could each hold their own limit and together exhaust the server's memory.
//
// A socket's buffer is seen only when something is sent to it, so the total is the sum of
// the last amounts seen; a socket that drained since counts high until its next send, which
// errs on the side of cutting off slow clients sooner.

/** One socket's claim on the budget. */
export interface SendAllowance {
  /** Records what waits to be sent to the socket; false means: cut it off now. */
  admit(buffered: number): boolean;
  /** The socket is gone: its buffer no longer counts. */
  release(): void;
}

/**
 * Below this, a socket keeps up well enough never to be cut off for the total's sake: the
 * budget is taken from the clients that hold the most, not from those that read.
 */
const KEEPING_UP_BYTES = 1024 * 1024;

export class SendBudget {
  private total = 0;

  constructor(
    /** All sockets together. */
    readonly totalBytes: number,
    /** One socket. */
    readonly perSocketBytes: number,
  ) {}

  get held(): number {
    return this.total;
  }

  allowance(): SendAllowance {
    return new SocketAllowance(this);
  }

  /** Moves the total by what one socket now holds beyond what it held when last seen. */
  recount(change: number): number {
    this.total += change;
    return this.total;
  }
}

/** A class rather than closures: a server holds one per socket, ten thousand for an audience. */
class SocketAllowance implements SendAllowance {
  private seen = 0;
  private released = false;

  constructor(private readonly budget: SendBudget) {}

  admit(buffered: number): boolean {
    if (this.released) return false;
    const total = this.budget.recount(buffered - this.seen);
    this.seen = buffered;
    if (buffered > this.budget.perSocketBytes) return false;
    return total <= this.budget.totalBytes || buffered < KEEPING_UP_BYTES;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.recount(-this.seen);
    this.seen = 0;
  }
}
