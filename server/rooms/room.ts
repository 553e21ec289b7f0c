// A room: one notebook's Y.Doc, its awareness and its connections. Every change, from a
// client or from the server, is appended to the history before any other client sees it.
// The room knows nothing of sockets or HTTP; connections come with a sink to send through.

import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { RoomAwareness } from '../../common/doc-schema';
import { LeadingEdgeBatcher } from '../leading-edge-batcher';
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
import { CLOSE_INTERNAL_ERROR, CLOSE_PROTOCOL_ERROR, RoomConnection } from './connection';
import { SchemaGuard } from './schema-guard';

/** Origin of changes the server makes itself (outputs, merges, kernel state). */
export const SERVER_ORIGIN = Symbol('tandem-server');
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

export interface RoomLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RoomOptions {
  fileId: string;
  doc: Y.Doc;
  /** Durable append; throws if the update could not be stored. */
  append(update: Uint8Array): void;
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
  private joinState: Uint8Array | undefined;
  private viewers = 0;
  private viewerTimer: NodeJS.Timeout | undefined;
  private readonly awarenessChanged = new Set<number>();
  private readonly presence = new LeadingEdgeBatcher(AWARENESS_BATCH_MS, () => this.flushAwareness());
  private failed = false;

  constructor(private readonly options: RoomOptions) {
    this.fileId = options.fileId;
    this.doc = options.doc;
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.awareness.setLocalState({ room: { viewers: 0 } satisfies RoomAwareness });
    this.guard = new SchemaGuard(this.doc, (origin) => origin instanceof RoomConnection);
    this.doc.on('update', this.onUpdate);
    this.awareness.on('update', this.onAwarenessUpdate);
  }

  get size(): number {
    return this.connections.size;
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
          if (inspected.empty) return;
          // A writer's update that touches what only the server writes is refused whole
          // (client-writes.ts), and the document is not touched.
          const refusal = this.guard.admit(inspected.decoded);
          if (refusal) {
            this.options.log.warn({ fileId: this.fileId, reason: refusal }, 'refused a client update');
            connection.send(encodePermissionDenied(refusal));
            return;
          }
          this.applyClientUpdate(connection, message.update);
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

  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections]) {
      connection.close(code, reason);
      this.leave(connection);
    }
  }

  destroy(): void {
    clearTimeout(this.viewerTimer);
    this.presence.dispose();
    this.doc.off('update', this.onUpdate);
    this.awareness.off('update', this.onAwarenessUpdate);
    this.awareness.destroy();
    this.doc.destroy();
  }

  private applyClientUpdate(connection: RoomConnection, update: Uint8Array): void {
    this.held = [];
    let repaired = false;
    let changed = false;
    try {
      Y.applyUpdate(this.doc, update, connection);
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
      this.held = null;
      changed = held.length > 0;
      if (held.length) {
        const merged = held.length === 1 ? held[0] : Y.mergeUpdates(held);
        // After a repair the sender must learn of it too; otherwise it has its own change.
        this.broadcast(encodeSyncUpdate(merged), repaired ? undefined : connection);
      }
    }
    if (changed && !this.failed) this.options.onClientChange?.(connection);
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (this.failed) return;
    try {
      this.options.append(update);
    } catch (error) {
      // Not stored means it must not reach anyone: the clients that have it will send it
      // again when the room is back.
      this.failed = true;
      this.options.log.error({ fileId: this.fileId, err: error }, 'could not append to the update log');
      this.closeAll(CLOSE_INTERNAL_ERROR, 'the notebook could not be stored; reconnecting');
      this.options.onFailure(error);
      return;
    }
    this.joinState = undefined;
    if (this.held) this.held.push(update);
    else this.broadcast(encodeSyncUpdate(update), origin instanceof RoomConnection ? origin : undefined);
    this.options.onChange();
  };

  private syncStep2For(stateVector: Uint8Array): Uint8Array {
    if (Y.decodeStateVector(stateVector).size === 0) {
      // Everyone joining afresh gets the same bytes, encoded once per document version.
      this.joinState ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc));
      return this.joinState;
    }
    return encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector));
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
      if (entry.state && JSON.stringify(entry.state).length > MAX_AWARENESS_STATE_BYTES) continue;
      connection.awarenessClients.add(entry.clientID);
      if (connection.isAudience) continue;
      let clock = entry.clock + (connection.awarenessClockShift.get(entry.clientID) ?? 0);
      const known = this.awareness.meta.get(entry.clientID);
      if (!owner && known && clock <= known.clock) {
        // A client back on a new connection (after a reconnect or a name change): when its old
        // connection left, the room removed its presence under a higher clock than the client's
        // own, so everything it sends now would be ignored until y-protocols renews presence
        // (every 15 s). Its clock is shifted past the room's for as long as this connection lasts.
        const shift = known.clock + 1 - entry.clock;
        connection.awarenessClockShift.set(entry.clientID, shift);
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

  private readonly onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    for (const clientID of [...added, ...updated, ...removed]) this.awarenessChanged.add(clientID);
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
