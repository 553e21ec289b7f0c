// A room: one notebook's Y.Doc, its awareness and its connections. Every change, from a
// client or from the server, is appended to the history before any other client sees it. The
// server's own changes in one turn of the event loop are appended and sent as one update.
// The room knows nothing of sockets or HTTP; connections come with a sink to send through.

import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { RoomAwareness } from '../../common/doc-schema';
import { LeadingEdgeBatcher } from '../leading-edge-batcher';
import { MISSING } from '../protocol/client-writes';
import {
  type AwarenessEntry,
  decodeAwarenessUpdate,
  decodeClientMessage,
  encodeAwarenessMessage,
  encodeAwarenessUpdate,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  inspectUpdate,
  isEmptyUpdate,
  ProtocolError,
} from '../protocol/messages';
import type { UpdateSource } from '../storage/doc-storage';
import { CLOSE_INTERNAL_ERROR, CLOSE_PROTOCOL_ERROR, RoomConnection } from './connection';
import { SchemaGuard } from './schema-guard';

/** Origin of changes the server makes itself (outputs, merges, kernel state). */
export const SERVER_ORIGIN = Symbol('tandem-server');
/** Origin of changes read from the shared log of a cluster: another replica already stored them. */
export const LOG_ORIGIN = Symbol('tandem-log');
const GUARD_ORIGIN = Symbol('tandem-schema-guard');

/** The largest awareness state one client may publish (cursor, selection, name...). */
const MAX_AWARENESS_STATE_BYTES = 16 * 1024;
/**
 * The largest presence frame read at all: a client publishes its own state, so a few states'
 * worth. A larger one is dropped unread, as parsing it would stall every room.
 */
export const MAX_AWARENESS_FRAME_BYTES = 4 * MAX_AWARENESS_STATE_BYTES;
const READ_ONLY = 'read-only: this link cannot change the notebook';
const VIEWER_COUNT_THROTTLE_MS = 250;
/**
 * Presence changes are fanned out together, at most once per this interval. A room of
 * hundreds of editors moving their cursors would otherwise cost one frame per change per
 * client, and document edits would queue behind them. The first change after a quiet spell
 * goes out at once, so a small room sees no delay.
 */
export const AWARENESS_BATCH_MS = 40;
/**
 * How long the encoded state for joining clients is kept after it last served one. A join
 * storm is served from one encoding; once the joins stop it is freed, as kept in every idle
 * room it would be a second copy of each open notebook.
 */
const JOIN_STATE_KEEP_MS = 2000;

/** Rooms holding server changes for the end of this turn of the event loop. */
const holding = new Set<Room>();

/**
 * Stores and sends every room's held server changes now. Called before an HTTP reply is sent,
 * so that whoever hears the answer (a run queued, a kernel restarted) has been sent the change.
 */
export function flushHeldChanges(): void {
  for (const room of holding) room.flush();
}

export interface RoomLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RoomOptions {
  fileId: string;
  doc: Y.Doc;
  /**
   * Durable append; throws (or rejects) if the update could not be stored. A promise (the
   * cluster's shared log) holds the update back from other clients until it settles; updates
   * still go out in the order they were made.
   */
  append(update: Uint8Array, source: UpdateSource): void | Promise<void>;
  /**
   * Whether this room repairs what breaks the notebook schema (the default). In a cluster only
   * the notebook's owner repairs, including changes that reach it through the log, so that
   * two replicas never repair the same change twice.
   */
  repairs?: boolean;
  /** Presence changed by this room's own clients, to pass on to other replicas. */
  onLocalPresence?(update: Uint8Array): void;
  log: RoomLogger;
  /** Called after every change, to schedule saving and compaction. */
  onChange(): void;
  /** Called after a client's change was applied, with who made it. */
  onClientChange?(connection: RoomConnection): void;
  /** Called when the last connection leaves. */
  onEmpty(): void;
  /** Called when the room can no longer guarantee durability and must be unloaded. */
  onFailure(error: unknown): void;
}

export class Room {
  readonly fileId: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  private readonly connections = new Set<RoomConnection>();
  private readonly awarenessOwners = new Map<number, RoomConnection>();
  private readonly guard: SchemaGuard;
  /** Updates produced while a client message is being handled; sent out together after. */
  private held: Uint8Array[] | null = null;
  /**
   * The server's own changes made in this turn of the event loop, stored and sent as one update
   * at its end (`flush`). A run's start is several changes from messages the kernel sends
   * together (its status, the run's record, the cell's cleared outputs); each alone is a log
   * append and a frame to every client, and its first output was read only after them.
   */
  private serverUpdates: Uint8Array[] = [];
  private serverFlush: NodeJS.Immediate | undefined;
  private joinState: Uint8Array | undefined;
  private joinStateTimer: NodeJS.Timeout | undefined;
  private viewers = 0;
  private viewerTimer: NodeJS.Timeout | undefined;
  private readonly awarenessChanged = new Set<number>();
  private readonly localPresenceChanged = new Set<number>();
  /** Clients whose presence came from other replicas of a cluster. */
  private readonly remotePresence = new Set<number>();
  /** Stores not yet settled (cluster log appends), and the chain that sends in order behind them. */
  private heldStores: Promise<void>[] = [];
  private storing = 0;
  private sendChain: Promise<void> = Promise.resolve();
  private readonly presence = new LeadingEdgeBatcher(AWARENESS_BATCH_MS, () => this.flushAwareness());
  private failed = false;

  constructor(private options: RoomOptions) {
    this.fileId = options.fileId;
    this.doc = options.doc;
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.awareness.setLocalState({ room: { viewers: 0 } satisfies RoomAwareness });
    this.guard = new SchemaGuard(this.doc, (origin) => (this.options.repairs ?? true) && (origin instanceof RoomConnection || origin === LOG_ORIGIN));
    this.doc.on('update', this.onUpdate);
    this.awareness.on('update', this.onAwarenessUpdate);
  }

  get size(): number {
    return this.connections.size;
  }

  /**
   * Gives the room new owners of its storage and events, connections and all: a cluster
   * replica that relayed a notebook becomes its owner without anyone reconnecting.
   */
  rebind(options: RoomOptions): void {
    this.flush();
    this.options = options;
  }

  get viewerCount(): number {
    return this.viewers;
  }

  /** Adds a connection and starts the sync handshake from the server's side. */
  join(connection: RoomConnection): void {
    if (this.failed) {
      connection.close(CLOSE_INTERNAL_ERROR, 'the notebook could not be stored; try again');
      return;
    }
    this.connections.add(connection);
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const clients = [...this.awareness.getStates().keys()];
    if (clients.length) {
      connection.send(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients)));
    }
    if (connection.isAudience) this.changeViewerCount(+1);
  }

  leave(connection: RoomConnection): void {
    if (!this.connections.delete(connection)) return;
    const owned = [...connection.awarenessClients].filter((id) => this.awarenessOwners.get(id) === connection);
    for (const id of owned) this.awarenessOwners.delete(id);
    if (owned.length) awarenessProtocol.removeAwarenessStates(this.awareness, owned, connection);
    if (connection.isAudience) this.changeViewerCount(-1);
    if (this.connections.size === 0) this.options.onEmpty();
  }

  /** Handles one frame from a client. Bad input closes that connection and nothing else. */
  receive(connection: RoomConnection, data: Uint8Array): void {
    if (connection.closed) return;
    try {
      const message = decodeClientMessage(data);
      switch (message.type) {
        case 'sync-step1':
          if (connection.canTake()) connection.send(this.syncStep2For(message.stateVector));
          return;
        case 'sync-step2':
        case 'sync-update': {
          // A read-only client's empty reply to the handshake is normal; anything else is an
          // attempted write, refused from its bytes alone: decoding a viewer's update costs
          // time every room on this server waits for, and its content cannot matter.
          if (!connection.canWrite) {
            if (!isEmptyUpdate(message.update)) connection.send(encodePermissionDenied(READ_ONLY));
            return;
          }
          const inspected = inspectUpdate(message.update);
          if (inspected.empty) {
            if (message.type === 'sync-step2') connection.sentItsState = true;
            return;
          }
          // A writer's update that touches what only the server writes is refused whole
          // (client-writes.ts), and the document is not touched.
          const refusal = this.guard.admit(inspected.decoded);
          if (refusal === MISSING && !connection.sentItsState && message.type === 'sync-update') {
            // An edit typed as the client reconnected, sent before its answer to the server's
            // step 1: that answer brings what this depends on, this edit included. Refusing
            // would tell the person to reload for nothing.
            return;
          }
          if (refusal) {
            this.options.log.warn({ fileId: this.fileId, reason: refusal }, 'refused a client update');
            connection.send(encodePermissionDenied(refusal));
            return;
          }
          this.applyClientUpdate(connection, message.update);
          if (message.type === 'sync-step2') connection.sentItsState = true;
          return;
        }
        case 'awareness':
          this.receiveAwareness(connection, message.update);
          return;
        case 'query-awareness':
          connection.send(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()])));
          return;
      }
    } catch (error) {
      const reason = error instanceof ProtocolError ? error.message : 'the message could not be applied';
      this.options.log.warn({ fileId: this.fileId, err: error }, 'closing a connection that sent a bad message');
      connection.close(CLOSE_PROTOCOL_ERROR, reason.slice(0, 120));
    }
  }

  /**
   * Resolves once the document holds everything in `stateVector` (a client's view when it
   * asked for something, such as a run of the cell it just typed into), or after `timeoutMs`.
   * Keystrokes and the request travel on different connections, so either can arrive first.
   */
  whenIncludes(stateVector: Uint8Array, timeoutMs: number): Promise<boolean> {
    let wanted: Map<number, number>;
    try {
      wanted = Y.decodeStateVector(stateVector);
    } catch {
      throw new ProtocolError('the state vector is malformed');
    }
    const covered = () => [...wanted].every(([client, clock]) => Y.getState(this.doc.store, client) >= clock);
    if (covered()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!covered()) return;
        finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.doc.off('update', check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.doc.on('update', check);
    });
  }

  /** Runs a change as the server: outputs, kernel state, merges from the file. */
  transact(change: () => void, origin: unknown = SERVER_ORIGIN): void {
    this.doc.transact(change, origin);
  }

  /** Stores and sends nothing more (the notebook was taken over by another replica). */
  stop(): void {
    this.failed = true;
  }

  /**
   * Stores and sends now the server's changes held for the end of this turn: called before the
   * notebook's history is closed, so that none are lost or appended to a closed log.
   */
  flush(): void {
    clearImmediate(this.serverFlush);
    this.serverFlush = undefined;
    holding.delete(this);
    const updates = this.serverUpdates;
    if (!updates.length) return;
    this.serverUpdates = [];
    if (this.failed) return;
    this.storeAndSend(updates.length === 1 ? updates[0] : Y.mergeUpdates(updates), 'server', undefined);
  }

  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections]) {
      connection.close(code, reason);
      this.leave(connection);
    }
  }

  destroy(): void {
    clearImmediate(this.serverFlush);
    holding.delete(this);
    this.serverUpdates = [];
    clearTimeout(this.viewerTimer);
    clearTimeout(this.joinStateTimer);
    this.presence.dispose();
    this.doc.off('update', this.onUpdate);
    this.awareness.off('update', this.onAwarenessUpdate);
    this.awareness.destroy();
    this.doc.destroy();
  }

  private applyClientUpdate(connection: RoomConnection, update: Uint8Array): void {
    const changed = this.applyAndRepair(update, connection);
    if (changed && !this.failed) this.options.onClientChange?.(connection);
  }

  /**
   * Applies an update read from the cluster's shared log (another replica's client, or the
   * owner's server): it is stored already, so it goes straight to this room's clients.
   */
  applyFromLog(update: Uint8Array): void {
    if (this.failed) return;
    this.applyAndRepair(update, LOG_ORIGIN);
  }

  /** Presence of another replica's clients. */
  applyRemotePresence(update: Uint8Array): void {
    if (this.failed) return;
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, LOG_ORIGIN);
    } catch (error) {
      this.options.log.warn({ fileId: this.fileId, err: error }, 'ignored a malformed presence update from another replica');
    }
  }

  /** Applies an update (and its repair, if one is needed); true if the document changed. */
  private applyAndRepair(update: Uint8Array, origin: RoomConnection | typeof LOG_ORIGIN): boolean {
    // The server's changes so far are stored and sent before this one, in the order made.
    this.flush();
    this.held = [];
    this.heldStores = [];
    let repaired = false;
    let changed = false;
    try {
      Y.applyUpdate(this.doc, update, origin);
      const repair = this.guard.takeRepair();
      if (repair) {
        // The check runs after every structural change; only a change it makes is news.
        const before = this.held.length;
        this.doc.transact(repair, GUARD_ORIGIN);
        repaired = this.held.length > before;
        if (repaired) this.options.log.warn({ fileId: this.fileId }, 'repaired a client change that broke the notebook schema');
      }
    } finally {
      const held = this.held;
      const stores = this.heldStores;
      this.held = null;
      this.heldStores = [];
      changed = held.length > 0;
      if (held.length) {
        const merged = held.length === 1 ? held[0] : Y.mergeUpdates(held);
        // After a repair the sender must learn of it too; otherwise it has its own change.
        const except = !repaired && origin instanceof RoomConnection ? origin : undefined;
        this.sendWhenStored(stores, encodeSyncUpdate(merged), except);
      }
    }
    return changed;
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (this.failed) return;
    const source: UpdateSource = origin === LOG_ORIGIN ? 'log' : origin instanceof RoomConnection ? 'client' : 'server';
    if (source === 'server' && !this.held) {
      // Joining clients are sent the document as it is, held changes included.
      this.joinState = undefined;
      this.serverUpdates.push(update);
      this.serverFlush ??= setImmediate(this.flushServerUpdates);
      holding.add(this);
      return;
    }
    this.flush();
    this.storeAndSend(update, source, origin instanceof RoomConnection ? origin : undefined);
  };

  /** The end of the turn: nothing here may throw out of a timer and take the server with it. */
  private readonly flushServerUpdates = (): void => {
    try {
      this.flush();
    } catch (error) {
      this.options.log.error({ fileId: this.fileId, err: error }, "could not send the server's changes");
    }
  };

  /** Appends an update to the history, then sends it to every client but `except`. */
  private storeAndSend(update: Uint8Array, source: UpdateSource, except: RoomConnection | undefined): void {
    let stored: void | Promise<void>;
    try {
      stored = this.options.append(update, source);
    } catch (error) {
      this.storeFailed(error);
      return;
    }
    this.joinState = undefined;
    if (this.held) {
      this.held.push(update);
      if (stored) this.heldStores.push(stored);
    } else {
      this.sendWhenStored(stored ? [stored] : [], encodeSyncUpdate(update), except);
    }
    this.options.onChange();
  }

  /** Sends once the stores settle, behind everything sent before; at once when nothing waits. */
  private sendWhenStored(stores: Promise<void>[], message: Uint8Array, except: RoomConnection | undefined): void {
    if (stores.length === 0 && this.storing === 0) {
      this.broadcast(message, except);
      return;
    }
    this.storing += 1;
    const stored = Promise.all(stores);
    this.sendChain = this.sendChain
      .then(() => stored)
      .then(
        () => {
          this.storing -= 1;
          if (!this.failed) this.broadcast(message, except);
        },
        (error: unknown) => {
          this.storing -= 1;
          this.storeFailed(error);
        },
      );
  }

  private storeFailed(error: unknown): void {
    if (this.failed) return;
    // Not stored means it must not reach anyone: the clients that have it will send it
    // again when the room is back.
    this.failed = true;
    this.options.log.error({ fileId: this.fileId, err: error }, 'could not append to the update log');
    this.closeAll(CLOSE_INTERNAL_ERROR, 'the notebook could not be stored; reconnecting');
    this.options.onFailure(error);
  }

  private syncStep2For(stateVector: Uint8Array): Uint8Array {
    if (Y.decodeStateVector(stateVector).size === 0) {
      // Everyone joining afresh gets the same bytes, encoded once per document version.
      this.joinState ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc));
      this.keepJoinState();
      return this.joinState;
    }
    return encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector));
  }

  private keepJoinState(): void {
    if (this.joinStateTimer) {
      this.joinStateTimer.refresh();
      return;
    }
    this.joinStateTimer = setTimeout(() => {
      this.joinStateTimer = undefined;
      this.joinState = undefined;
    }, JOIN_STATE_KEEP_MS);
    this.joinStateTimer.unref();
  }

  private receiveAwareness(connection: RoomConnection, update: Uint8Array): void {
    // Presence is ephemeral: past the rate limit, frames are dropped, not queued.
    if (!connection.awarenessLimiter.take()) return;
    if (update.length > MAX_AWARENESS_FRAME_BYTES) return;
    const entries = decodeAwarenessUpdate(update);
    const accepted: AwarenessEntry[] = [];
    for (const entry of entries) {
      if (entry.clientID === this.doc.clientID) continue;
      const owner = this.awarenessOwners.get(entry.clientID);
      if (owner && owner !== connection) continue;
      // Removing what is already gone: a client echoing a removal it heard. Applied, it would
      // be news again, and echoed again, for ever.
      if (entry.state === null && !this.awareness.getStates().has(entry.clientID)) continue;
      if (!owner && this.remotePresence.has(entry.clientID)) {
        // Another replica's client, echoed back by this room's clients (y-websocket sends on
        // every change it hears, not only its own). Only a newer state than the room holds is
        // that client's own, having moved to this replica.
        if (entry.clock <= (this.awareness.meta.get(entry.clientID)?.clock ?? 0)) continue;
        this.remotePresence.delete(entry.clientID);
      }
      if (entry.state && JSON.stringify(entry.state).length > MAX_AWARENESS_STATE_BYTES) continue;
      connection.claimAwareness(entry.clientID);
      if (connection.isAudience) continue;
      let clock = entry.clock + connection.clockShift(entry.clientID);
      const known = this.awareness.meta.get(entry.clientID);
      if (!owner && known && clock <= known.clock) {
        // A client back on a new connection (after a reconnect or a name change): when its old
        // connection left, the room removed its presence under a higher clock than the client's
        // own, so everything it sends now would be ignored until y-protocols renews presence
        // (every 15 s). Its clock is shifted past the room's for as long as this connection lasts.
        const shift = known.clock + 1 - entry.clock;
        connection.setClockShift(entry.clientID, shift);
        clock = entry.clock + shift;
      }
      this.awarenessOwners.set(entry.clientID, connection);
      accepted.push({ ...entry, clock, state: entry.state && this.withIdentity(connection, entry.state) });
    }
    // Viewers' presence is not fanned out: a thousand viewers would cost a million
    // messages. They are counted instead (changeViewerCount).
    if (accepted.length) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessUpdate(accepted), connection);
    }
  }

  /** Names and colours come from the server's identity, never from what a client claims. */
  private withIdentity(connection: RoomConnection, state: Record<string, unknown>): Record<string, unknown> {
    const claimed = typeof state.user === 'object' && state.user !== null ? (state.user as Record<string, unknown>) : {};
    const { identity, role } = connection;
    return {
      ...state,
      user: {
        ...claimed,
        username: identity.username,
        name: identity.name,
        display_name: identity.display_name,
        initials: identity.initials,
        color: identity.color,
        role,
      },
    };
  }

  private readonly onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
    for (const clientID of removed) this.remotePresence.delete(clientID);
    if (origin === LOG_ORIGIN) {
      for (const clientID of [...added, ...updated]) this.remotePresence.add(clientID);
      // Another replica batched these already: waiting for this room's batch too would double
      // the delay of every cursor that crosses replicas.
      const changed = [...added, ...updated, ...removed];
      if (changed.length) this.broadcast(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)));
      return;
    }
    for (const clientID of [...added, ...updated, ...removed]) {
      this.awarenessChanged.add(clientID);
      // The room's own state goes too: its count of this replica's viewers, which clients add up.
      if (this.options.onLocalPresence) this.localPresenceChanged.add(clientID);
    }
    this.presence.changed();
  };

  /**
   * One frame with the latest state of every client that changed, to everyone. A sender gets
   * its own state back with the clock it sent, which y-protocols ignores.
   */
  private flushAwareness(): boolean {
    if (this.awarenessChanged.size === 0) return false;
    const changed = [...this.awarenessChanged];
    this.awarenessChanged.clear();
    this.broadcast(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)));
    if (this.localPresenceChanged.size) {
      const local = [...this.localPresenceChanged];
      this.localPresenceChanged.clear();
      this.options.onLocalPresence?.(awarenessProtocol.encodeAwarenessUpdate(this.awareness, local));
    }
    return true;
  }

  private changeViewerCount(delta: number): void {
    this.viewers += delta;
    if (this.viewerTimer) return;
    this.viewerTimer = setTimeout(() => {
      this.viewerTimer = undefined;
      this.awareness.setLocalState({ room: { viewers: this.viewers } satisfies RoomAwareness });
    }, VIEWER_COUNT_THROTTLE_MS);
  }

  private broadcast(message: Uint8Array, except?: RoomConnection): void {
    for (const connection of this.connections) {
      if (connection !== except) connection.send(message);
    }
  }
}
