// The shared, durable log of a notebook's updates in cluster mode: one Redis stream per
// notebook (as @y/hub does). A stream, not pub/sub: an entry stays until the owner has folded
// it into a snapshot, so a replica that joins late, or takes a notebook over from a dead owner,
// reads everything it missed, in one order that every replica agrees on. Each entry names the
// replica that wrote it, so a replica skips its own (its clients' changes are in its room
// already). Durability is Redis's: the tests and the README run it with appendonly yes.

import type { Redis } from 'ioredis';
import type { RoomLogger } from '../rooms/room';
import { FencedError, type Lease } from './leases';
import { keys, Script } from './redis';

export interface LogEntry {
  id: string;
  replicaId: string;
  update: Uint8Array;
}

const FENCED_APPEND = new Script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
return redis.call('XADD', KEYS[2], '*', 'r', ARGV[2], 'u', ARGV[3])
`);

const FENCED_TRIM = new Script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
return redis.call('XTRIM', KEYS[2], 'MINID', ARGV[2])
`);

function entriesOf(reply: unknown): LogEntry[] {
  return ((reply ?? []) as [Buffer, Buffer[]][]).map(([id, fields]) => {
    let replicaId = '';
    let update = new Uint8Array();
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i].toString();
      if (name === 'r') replicaId = fields[i + 1].toString();
      else if (name === 'u') update = new Uint8Array(fields[i + 1]);
    }
    return { id: id.toString(), replicaId, update };
  });
}

export class NotebookLog {
  constructor(
    private readonly redis: Redis,
    private readonly replicaId: string,
  ) {}

  /** Appends a client's change (any replica may); resolves with its entry id once Redis has it. */
  async append(fileId: string, update: Uint8Array): Promise<string> {
    const id = await this.redis.xadd(keys.log(fileId), '*', 'r', this.replicaId, 'u', Buffer.from(update.buffer, update.byteOffset, update.byteLength));
    return id as string;
  }

  /** Appends a change only the owner makes (outputs, kernel state, merges); refused once the lease is lost. */
  async appendFenced(fileId: string, update: Uint8Array, lease: Lease): Promise<string> {
    const id = await FENCED_APPEND.run(this.redis, [keys.lease(fileId), keys.log(fileId)], [lease.value, this.replicaId, update]);
    if (!id) throw new FencedError(fileId);
    return String(id);
  }

  /** Entries after `after` (exclusive), or all of them. */
  async range(fileId: string, after?: string): Promise<LogEntry[]> {
    const start = after && after !== '0-0' ? `(${after}` : '-';
    return entriesOf(await this.redis.callBuffer('XRANGE', keys.log(fileId), start, '+'));
  }

  /** Drops entries before `minId`, which a snapshot now holds. */
  async trim(fileId: string, minId: string, lease: Lease): Promise<void> {
    const trimmed = await FENCED_TRIM.run(this.redis, [keys.lease(fileId), keys.log(fileId)], [lease.value, minId]);
    if (trimmed === null || trimmed === false) throw new FencedError(fileId);
  }

  async remove(fileId: string): Promise<void> {
    await this.redis.del(keys.log(fileId));
  }
}

interface Follow {
  position: string;
  onEntry(update: Uint8Array): void;
}

/** How long one blocking read waits; a change of what is followed cuts it short. */
const BLOCK_MS = 5000;
const READ_COUNT = 1000;

/**
 * Reads the logs of every notebook this replica has loaded, on one blocking connection, and
 * hands each entry that another replica wrote to its room. Following a new notebook
 * unblocks the read at once (CLIENT UNBLOCK), so it starts without waiting out the block.
 */
export class LogFollower {
  private readonly follows = new Map<string, Follow>();
  private blockingId: number | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly blocking: Redis,
    private readonly control: Redis,
    private readonly replicaId: string,
    private readonly log: RoomLogger,
  ) {
    this.blocking.on('ready', () => {
      this.blockingId = undefined;
    });
    this.loop = this.run();
  }

  /** Where the follower has read the notebook's log up to: every entry at or before it is applied. */
  position(fileId: string): string | undefined {
    return this.follows.get(fileId)?.position;
  }

  follow(fileId: string, position: string, onEntry: (update: Uint8Array) => void): void {
    this.follows.set(fileId, { position, onEntry });
    this.interrupt();
  }

  unfollow(fileId: string): void {
    if (this.follows.delete(fileId)) this.interrupt();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    this.blocking.disconnect();
    await this.loop;
  }

  private interrupt(): void {
    if (this.wake) {
      this.wake();
      return;
    }
    const id = this.blockingId;
    if (id !== undefined) void this.control.client('UNBLOCK', id).catch(() => {});
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.follows.size === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const fileIds = [...this.follows.keys()];
      const positions = fileIds.map((fileId) => this.follows.get(fileId)!.position);
      let reply: unknown;
      try {
        this.blockingId ??= (await this.blocking.client('ID')) as number;
        reply = await this.blocking.callBuffer('XREAD', 'COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...fileIds.map(keys.log), ...positions);
      } catch (error) {
        if (this.closed) return;
        this.log.warn({ error: (error as Error).message }, 'reading the shared log failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      for (const [key, entries] of (reply ?? []) as [Buffer, unknown][]) {
        const fileId = key.toString().slice(keys.log('').length);
        for (const entry of entriesOf(entries)) {
          const follow = this.follows.get(fileId);
          if (!follow) break;
          if (entry.replicaId !== this.replicaId) {
            try {
              follow.onEntry(entry.update);
            } catch (error) {
              this.log.error({ fileId, err: error }, 'could not apply an entry of the shared log');
            }
          }
          follow.position = entry.id;
        }
      }
    }
  }
}
