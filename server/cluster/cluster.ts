// Cluster mode (`--redis URL`): several replicas behind one address. Each notebook has one
// owner, the replica holding its lease (leases.ts), which loads it from the shared log
// (owned-history.ts) and runs its kernel, queue and saves. Every other replica with clients
// on the notebook relays it (relay-rooms.ts). Requests that need the owner are forwarded to
// it (owner-routes.ts). A heartbeat renews this replica's leases and its address; it also
// notices when a relayed notebook's owner is gone, and takes the notebook over in place.

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import * as Y from 'yjs';
import { TandemError, unavailable } from '../errors';
import type { NotebookOwnership, OpenNotebooks, OwnedDocument } from '../notebooks/open-notebooks';
import { ownedRoom, type RoomHandle, type RoomHost } from '../notebooks/room-host';
import type { RoomLogger } from '../rooms/room';
import type { DocStorage } from '../storage/doc-storage';
import { type CompactionStore, FsCompactionStore } from './compaction-store';
import { Leases } from './leases';
import { LogFollower, NotebookLog } from './notebook-log';
import { loadOwned } from './owned-history';
import { PresenceRelay } from './presence-relay';
import { connectRedis, keys } from './redis';
import { RelayRooms } from './relay-rooms';

export interface ClusterOptions {
  redisUrl: string;
  stateDir: string;
  /** Histories from before cluster mode was switched on, imported on first load. */
  storage: DocStorage;
  /** Where owners keep the compactions of the log (default: the shared state directory). */
  compactions?: CompactionStore;
  /** How long a lease lives without renewal: a dead owner's notebooks move after about this long. */
  leaseMs: number;
  /** The server token, which replicas present to each other. */
  token: string;
  roomGraceMs: number;
  log: RoomLogger;
}

/** Where a request about a notebook should be served. */
export type Route = { kind: 'local' } | { kind: 'owner'; url: string } | { kind: 'lost' };

const RETRY_MS = 250;
/** The lease of the one replica that runs scheduled jobs. */
const SCHEDULER_LEASE = '@scheduler';

export class Cluster implements NotebookOwnership, RoomHost {
  readonly replicaId = randomUUID();
  readonly leases: Leases;
  readonly follower: LogFollower;
  private readonly redis: Redis;
  private readonly blocking: Redis;
  private readonly subscriber: Redis;
  private readonly log: NotebookLog;
  private readonly presence: PresenceRelay;
  private readonly snapshots: CompactionStore;
  private readonly relays: RelayRooms;
  private notebooksRef: OpenNotebooks | undefined;
  private url = '';
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  private leaving = false;
  private closed = false;

  constructor(private readonly options: ClusterOptions) {
    const { redisUrl, log } = options;
    this.redis = connectRedis(redisUrl, 'commands', log);
    this.blocking = connectRedis(redisUrl, 'log-reader', log);
    this.subscriber = connectRedis(redisUrl, 'presence', log);
    this.leases = new Leases(this.redis, this.replicaId, options.leaseMs, log);
    this.log = new NotebookLog(this.redis, this.replicaId);
    this.follower = new LogFollower(this.blocking, this.redis, this.replicaId, log);
    this.presence = new PresenceRelay(this.redis, this.subscriber, this.replicaId, log);
    this.snapshots = options.compactions ?? new FsCompactionStore(options.stateDir);
    this.relays = new RelayRooms({
      log: this.log,
      follower: this.follower,
      presence: this.presence,
      fetchState: (url, fileId) => this.fetchState(url, fileId),
      graceMs: options.roomGraceMs,
      logger: log,
    });
  }

  /** This replica's own address, as the others reach it. */
  get address(): string {
    return this.url;
  }

  /**
   * How long a request waits for a notebook to find a new owner: a lapsing lease, then a load,
   * which for a large notebook's history on a busy machine takes seconds (a CI run saw a 2 s
   * lease take more than 7 s in all). Past this the request gets a 503 to try again.
   */
  get failoverWaitMs(): number {
    return 2 * this.options.leaseMs + 10_000;
  }

  /** Whether this replica runs scheduled jobs: one replica of the cluster does, the holder of their lease. */
  get runsSchedules(): boolean {
    return this.leases.heldLease(SCHEDULER_LEASE) !== undefined;
  }

  /** Connects to Redis; a Redis that cannot be reached is an error before the server listens. */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.redis.connect(), this.blocking.connect(), this.subscriber.connect()]);
      await this.redis.ping();
    } catch (error) {
      this.disconnect();
      throw new Error(`cannot reach Redis for cluster mode: ${(error as Error).message}`);
    }
  }

  /** The open notebooks this replica owns (made after the cluster, which they need). */
  serve(notebooks: OpenNotebooks): void {
    this.notebooksRef = notebooks;
  }

  private get notebooks(): OpenNotebooks {
    if (!this.notebooksRef) throw new Error('the cluster has no notebooks to serve yet');
    return this.notebooksRef;
  }

  /** Starts the heartbeat once the server listens at `url`, which other replicas forward to. */
  async start(url: string): Promise<void> {
    this.url = url;
    await this.beat();
    const interval = Math.max(100, Math.floor(this.options.leaseMs / 4));
    this.heartbeat = setInterval(() => void this.beat(), interval);
    this.options.log.info({ replicaId: this.replicaId, leaseMs: this.options.leaseMs }, 'joined the cluster');
  }

  async claim(fileId: string, absolutePath: string): Promise<OwnedDocument | undefined> {
    const lease = await this.leases.acquire(fileId);
    if (!lease) return undefined;
    const room = this.relays.take(fileId);
    const doc = room?.doc ?? new Y.Doc({ gc: true });
    const deps = {
      fileId,
      lease,
      leases: this.leases,
      log: this.log,
      snapshots: this.snapshots,
      position: () => this.follower.position(fileId),
    };
    let loaded: Awaited<ReturnType<typeof loadOwned>>;
    try {
      loaded = await loadOwned({ ...deps, doc, absolutePath, storage: this.options.storage, logger: this.options.log });
    } catch (error) {
      await this.leases.release(fileId);
      room?.closeAll(1012, 'the notebook could not be loaded here; reconnecting');
      room?.destroy();
      throw error;
    }
    this.options.log.info({ fileId, fence: lease.fence, adopted: room !== undefined }, 'owning a notebook');
    return {
      doc,
      history: loaded.history,
      room,
      onLocalPresence: (update) => this.presence.publish(fileId, update),
      attach: (ownRoom) => {
        this.follower.follow(fileId, loaded.position, (update) => ownRoom.applyFromLog(update));
        this.presence.subscribe(fileId, (update) => ownRoom.applyRemotePresence(update));
      },
      detach: async (release) => {
        this.follower.unfollow(fileId);
        this.presence.unsubscribe(fileId);
        if (release) await this.leases.release(fileId);
        else this.leases.drop(fileId);
      },
    };
  }

  /** The addresses of the other live replicas. */
  async otherReplicaUrls(): Promise<string[]> {
    const ids = await this.redis.zrangebyscore(keys.replicas, Date.now(), '+inf');
    const others = ids.filter((id) => id !== this.replicaId);
    if (!others.length) return [];
    return (await this.redis.mget(others.map(keys.replica))).filter((url): url is string => typeof url === 'string');
  }

  async forget(fileId: string): Promise<void> {
    await Promise.all([this.log.remove(fileId), this.snapshots.remove(fileId)]);
  }

  /** Where a request about the notebook is served: here, at its owner, or nowhere until a new owner takes it. */
  async route(fileId: string): Promise<Route> {
    if (this.leases.heldLease(fileId)) return { kind: 'local' };
    const holder = await this.leases.holder(fileId);
    if (!holder || holder.replicaId === this.replicaId) return { kind: 'local' };
    const url = await this.redis.get(keys.replica(holder.replicaId));
    return url ? { kind: 'owner', url } : { kind: 'lost' };
  }

  /**
   * The notebook's room on this replica: its own when it owns the notebook (or nobody does and
   * it takes it), otherwise a relay of the owner's. While an owner that died still holds the
   * lease, this waits for the lease to lapse and takes the notebook over.
   */
  async openRoom(fileId: string): Promise<RoomHandle> {
    const deadline = Date.now() + this.failoverWaitMs;
    for (;;) {
      const relayed = this.relays.get(fileId);
      if (relayed) return this.relayHandle(fileId, relayed.room, relayed.sessionId);
      const route = await this.route(fileId);
      try {
        if (route.kind === 'local') return await ownedRoom(this.notebooks, fileId);
        if (route.kind === 'owner') {
          const relay = await this.relays.open(fileId, route.url);
          return this.relayHandle(fileId, relay.room, relay.sessionId);
        }
      } catch (error) {
        if (error instanceof TandemError && error.reason !== 'not_owner' && error.reason !== 'fenced') throw error;
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw unavailable('The server that runs this notebook stopped, and no other has taken it over yet; try again');
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** The owner's copy of a notebook, for a replica that starts relaying it. */
  async ownerState(fileId: string): Promise<{ state: Uint8Array; sessionId: string; position: string }> {
    if (!this.leases.heldLease(fileId)) throw new TandemError('conflict', 'This server does not own that notebook', 'not_owner');
    return this.notebooks.with(fileId, (notebook) => {
      // Read before the state is taken: every entry up to it is in the state.
      const position = this.follower.position(fileId) ?? '0-0';
      return { state: Y.encodeStateAsUpdate(notebook.room.doc), sessionId: notebook.sessionId, position };
    });
  }

  /**
   * On the way out, before the owned notebooks are handed over: a notebook this replica relays
   * that nobody owns any more (its owner left first) is taken over, so that it is compacted
   * like the others, and a cluster stopped whole leaves everything in its storage.
   */
  async adoptOrphans(): Promise<void> {
    await this.takeOverOrphans();
    // The heartbeat goes on renewing leases while the notebooks are handed over, but takes no more.
    this.leaving = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.relays.closeAll('the server is shutting down');
    await this.leases.release(SCHEDULER_LEASE);
    await this.redis.del(keys.replica(this.replicaId)).catch(() => {});
    await this.redis.zrem(keys.replicas, this.replicaId).catch(() => {});
    await this.follower.close();
    this.disconnect();
  }

  private disconnect(): void {
    this.redis.disconnect();
    this.blocking.disconnect();
    this.subscriber.disconnect();
  }

  private relayHandle(fileId: string, room: RoomHandle['room'], sessionId: string): RoomHandle {
    return {
      room,
      sessionId,
      release: () => this.relays.release(fileId),
      isCurrent: () => this.relays.get(fileId)?.room === room,
    };
  }

  private async fetchState(url: string, fileId: string): Promise<{ state: Uint8Array; sessionId: string; position: string }> {
    const response = await fetch(`${url}/api/cluster/notebooks/${fileId}/state`, {
      headers: { authorization: `token ${this.options.token}` },
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => {
      throw new TandemError('unavailable', `the notebook's owner could not be reached: ${(error as Error).message}`, 'not_owner');
    });
    if (!response.ok) throw new TandemError('unavailable', `the notebook's owner answered ${response.status}`, 'not_owner');
    return {
      state: new Uint8Array(await response.arrayBuffer()),
      sessionId: response.headers.get('x-tandem-session-id') ?? '',
      position: response.headers.get('x-tandem-log-position') ?? '0-0',
    };
  }

  private async beat(): Promise<void> {
    if (this.beating || this.closed) return;
    this.beating = true;
    try {
      await this.redis.set(keys.replica(this.replicaId), this.url, 'PX', this.options.leaseMs);
      await this.redis.zadd(keys.replicas, Date.now() + this.options.leaseMs, this.replicaId);
      await this.redis.zremrangebyscore(keys.replicas, '-inf', Date.now());
      for (const fileId of await this.leases.renewAll()) await this.notebooks.fenced(fileId);
      if (this.leaving) return;
      await this.leases.acquire(SCHEDULER_LEASE);
      await this.takeOverOrphans();
    } catch (error) {
      this.options.log.warn({ error: (error as Error).message }, 'cluster heartbeat failed; retrying');
    } finally {
      this.beating = false;
    }
  }

  /** Notebooks relayed here whose owner let go (or died and its lease lapsed): take them over in place. */
  private async takeOverOrphans(): Promise<void> {
    for (const fileId of this.relays.fileIds()) {
      if (await this.leases.holder(fileId)) continue;
      try {
        await this.notebooks.open(fileId);
        this.notebooks.release(fileId);
      } catch (error) {
        this.options.log.warn({ fileId, err: error }, 'could not take over a notebook whose owner is gone');
      }
    }
  }
}
