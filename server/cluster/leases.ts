// Which replica owns each notebook: a lease in Redis, with a fencing token. The owner runs the
// notebook's kernel, its queue and its saves. A lease lives `ttlMs` unless renewed; the owner
// renews all of its leases together, a few times per ttl. Every write only an owner may make
// (server changes to the log, trims, snapshots, the .ipynb) first proves, inside Redis, that
// the lease still holds this replica's token; once another replica has taken it, the old
// owner's writes are refused, whatever its clock or its pauses (SIGSTOP) made it believe.

import type { Redis } from 'ioredis';
import { TandemError } from '../errors';
import type { RoomLogger } from '../rooms/room';
import { keys, Script } from './redis';

export interface Lease {
  fileId: string;
  /** The fencing token: it only grows, per notebook, with every new owner. */
  fence: number;
  /** What the lease key holds while this replica owns it. */
  value: string;
}

export interface Holder {
  replicaId: string;
  fence: number;
}

/** A replica that lost a notebook's lease tried to write as its owner. */
export class FencedError extends TandemError {
  constructor(fileId: string) {
    super('unavailable', `This server no longer owns notebook ${fileId}; another replica took it over`, 'fenced');
  }
}

const ACQUIRE = new Script(`
local current = redis.call('GET', KEYS[1])
if current then
  if current == ARGV[3] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return current end
  return false
end
local fence = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '/' .. fence
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
`);

const RENEW = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

const RELEASE = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

function parse(value: string): Holder {
  const slash = value.lastIndexOf('/');
  return { replicaId: value.slice(0, slash), fence: Number(value.slice(slash + 1)) };
}

export class Leases {
  private readonly held = new Map<string, Lease>();

  constructor(
    private readonly redis: Redis,
    readonly replicaId: string,
    readonly ttlMs: number,
    private readonly log: RoomLogger,
  ) {}

  /** This replica's lease on the notebook, if it holds one. */
  heldLease(fileId: string): Lease | undefined {
    return this.held.get(fileId);
  }

  heldIds(): string[] {
    return [...this.held.keys()];
  }

  /** Takes the notebook's lease if nobody holds it (or this replica already does). */
  async acquire(fileId: string): Promise<Lease | undefined> {
    const mine = this.held.get(fileId);
    const value = (await ACQUIRE.run(this.redis, [keys.lease(fileId), keys.fence(fileId)], [this.replicaId, this.ttlMs, mine?.value ?? ''])) as string | null;
    if (!value) return undefined;
    const lease: Lease = { fileId, fence: parse(value).fence, value };
    this.held.set(fileId, lease);
    return lease;
  }

  async holder(fileId: string): Promise<Holder | undefined> {
    const value = await this.redis.get(keys.lease(fileId));
    return value ? parse(value) : undefined;
  }

  /** Resolves if this replica still owns the notebook; throws FencedError otherwise. */
  async check(fileId: string): Promise<Lease> {
    const lease = this.held.get(fileId);
    if (lease && (await this.redis.get(keys.lease(fileId))) === lease.value) return lease;
    throw new FencedError(fileId);
  }

  /** Renews every lease held; returns the notebooks whose lease was lost meanwhile. */
  async renewAll(): Promise<string[]> {
    const lost: string[] = [];
    await Promise.all(
      [...this.held.values()].map(async (lease) => {
        const renewed = await RENEW.run(this.redis, [keys.lease(lease.fileId)], [lease.value, this.ttlMs]);
        if (renewed === 1 || this.held.get(lease.fileId) !== lease) return;
        this.held.delete(lease.fileId);
        lost.push(lease.fileId);
      }),
    );
    return lost;
  }

  /** Gives the lease up (after the notebook was saved), so another replica may take it at once. */
  async release(fileId: string): Promise<void> {
    const lease = this.held.get(fileId);
    if (!lease) return;
    this.held.delete(fileId);
    await RELEASE.run(this.redis, [keys.lease(fileId)], [lease.value]).catch((error: unknown) => {
      this.log.warn({ fileId, err: error }, 'could not release a lease; it expires on its own');
    });
  }

  /** Forgets a lease another replica took, without touching Redis. */
  drop(fileId: string): void {
    this.held.delete(fileId);
  }
}
