// One client's connection to a room, independent of the transport: the transport gives it
// a sink to send through, and the room tells it what the client may do.

import type { Identity } from '../../common/api';
import type { Role } from '../../common/doc-schema';
import type { SendAllowance } from '../transport/send-budget';

/** What the transport provides for one socket. */
export interface ConnectionSink {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Drops the connection at once, without the closing handshake (which would wait behind the queue). */
  terminate(): void;
  /** Bytes queued for sending and not yet handed to the operating system. */
  bufferedAmount(): number;
}

export const CLOSE_SLOW_CLIENT = 1013;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_UNKNOWN_SESSION = 1003;
export const CLOSE_INTERNAL_ERROR = 1011;
/** Access ended (a revoked share link): clients must not reconnect. */
export const CLOSE_ACCESS_REVOKED = 4403;
/** The notebook was deleted: clients must not reconnect. */
export const CLOSE_NOTEBOOK_DELETED = 4404;

/** A close reason clients can read: JSON, with a message for people. */
export function closeReason(reason: string, message: string): string {
  return JSON.stringify({ reason, message, reloadable: false });
}

/** A token bucket: `rate` events a second on average, bursts up to `burst`. */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const NONE: ReadonlySet<number> = new Set();

export class RoomConnection {
  /**
   * Awareness client ids this connection has claimed; removed when it leaves. Made on first
   * use, as the clock shifts below: most of an audience never sends presence.
   */
  private claimed: Set<number> | undefined;
  /**
   * Whether the client has answered the server's sync step 1 with what it holds. Until then an
   * edit may depend on changes still to come in that answer (made offline, before reconnecting).
   */
  sentItsState = false;
  /** Added to a client's presence clock on this connection (see Room.receiveAwareness). */
  private clockShifts: Map<number, number> | undefined;
  readonly awarenessLimiter: RateLimiter;
  closed = false;

  constructor(
    readonly sink: ConnectionSink,
    readonly role: Role,
    readonly identity: Identity,
    /** How much may wait to be sent to this client (its own limit and the server's total). */
    private readonly allowance: SendAllowance,
  ) {
    // Viewers' presence is never fanned out, so they need far less of it.
    this.awarenessLimiter = role === 'viewer' ? new RateLimiter(2, 5) : new RateLimiter(30, 60);
  }

  claimAwareness(clientId: number): void {
    this.claimed ??= new Set();
    this.claimed.add(clientId);
  }

  /** The awareness client ids this connection has claimed. */
  get awarenessClients(): ReadonlySet<number> {
    return this.claimed ?? NONE;
  }

  clockShift(clientId: number): number {
    return this.clockShifts?.get(clientId) ?? 0;
  }

  setClockShift(clientId: number, shift: number): void {
    this.clockShifts ??= new Map();
    this.clockShifts.set(clientId, shift);
  }

  /** Read-only connections may sync and follow, but never change the document. */
  get canWrite(): boolean {
    return this.role === 'editor' || this.role === 'owner';
  }

  /** Viewers are counted, not shown one by one. */
  get isAudience(): boolean {
    return this.role === 'viewer';
  }

  /**
   * Whether the client can be sent more now; if not, it is cut off. Asked before building a
   * large reply too, so a client that does not read cannot make the server build them.
   */
  canTake(): boolean {
    if (this.closed) return false;
    if (this.allowance.admit(this.sink.bufferedAmount())) return true;
    // A client that cannot keep up is cut off rather than have its frames dropped: it
    // reconnects and resyncs, and the server's memory stays bounded. Terminated, not closed:
    // a close frame would wait behind everything queued, and the queue with it.
    this.closed = true;
    this.allowance.release();
    this.sink.terminate();
    return false;
  }

  send(data: Uint8Array): void {
    if (this.canTake()) this.sink.send(data);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close(code, reason);
  }

  /** The socket is gone. */
  released(): void {
    this.closed = true;
    this.allowance.release();
  }
}
