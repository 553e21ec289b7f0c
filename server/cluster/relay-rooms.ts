// Rooms of notebooks that another replica owns. A relay room holds the document (fetched from
// the owner's memory once, then kept current from the shared log), serves this replica's
// clients from it, and appends their changes to the log. It runs no kernel, saves nothing and
// repairs nothing: the owner does all that, and its changes come back through the log.

import * as Y from 'yjs';
import { CLOSE_GOING_AWAY } from '../rooms/connection';
import { Room, type RoomLogger } from '../rooms/room';
import type { LogFollower, NotebookLog } from './notebook-log';
import type { PresenceRelay } from './presence-relay';

export interface RelayRoom {
  readonly fileId: string;
  readonly room: Room;
  readonly sessionId: string;
}

interface Entry extends RelayRoom {
  grace: NodeJS.Timeout | undefined;
}

export interface RelayRoomsOptions {
  log: NotebookLog;
  follower: LogFollower;
  presence: PresenceRelay;
  /** The owner's copy: its state, the sessionId, and how far into the log the state goes. */
  fetchState(ownerUrl: string, fileId: string): Promise<{ state: Uint8Array; sessionId: string; position: string }>;
  graceMs: number;
  logger: RoomLogger;
}

export class RelayRooms {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(private readonly options: RelayRoomsOptions) {}

  get(fileId: string): RelayRoom | undefined {
    return this.entries.get(fileId);
  }

  fileIds(): string[] {
    return [...this.entries.keys()];
  }

  async open(fileId: string, ownerUrl: string): Promise<RelayRoom> {
    const loaded = this.entries.get(fileId);
    if (loaded) {
      clearTimeout(loaded.grace);
      loaded.grace = undefined;
      return loaded;
    }
    let pending = this.loading.get(fileId);
    if (!pending) {
      pending = this.load(fileId, ownerUrl).finally(() => this.loading.delete(fileId));
      this.loading.set(fileId, pending);
    }
    return pending;
  }

  /** Nobody here needs the room but its connections: unload it after the grace period once empty. */
  release(fileId: string): void {
    const entry = this.entries.get(fileId);
    if (!entry || entry.grace || entry.room.size > 0) return;
    entry.grace = setTimeout(() => {
      entry.grace = undefined;
      if (entry.room.size === 0) this.unload(fileId, 'the notebook was closed on this server');
    }, this.options.graceMs);
  }

  /** Hands the room over to this replica's new ownership of the notebook: it stops relaying, connections stay. */
  take(fileId: string): Room | undefined {
    const entry = this.entries.get(fileId);
    if (!entry) return undefined;
    this.detach(entry);
    return entry.room;
  }

  unload(fileId: string, reason: string): void {
    const entry = this.entries.get(fileId);
    if (!entry) return;
    this.detach(entry);
    entry.room.closeAll(CLOSE_GOING_AWAY, reason);
    entry.room.destroy();
  }

  closeAll(reason: string): void {
    for (const fileId of [...this.entries.keys()]) this.unload(fileId, reason);
  }

  private detach(entry: Entry): void {
    this.entries.delete(entry.fileId);
    clearTimeout(entry.grace);
    this.options.follower.unfollow(entry.fileId);
    this.options.presence.unsubscribe(entry.fileId);
  }

  private async load(fileId: string, ownerUrl: string): Promise<Entry> {
    const { state, sessionId, position } = await this.options.fetchState(ownerUrl, fileId);
    const doc = new Y.Doc({ gc: true });
    Y.applyUpdate(doc, state);
    const { log, presence, follower, logger } = this.options;
    const room = new Room({
      fileId,
      doc,
      log: logger,
      repairs: false,
      append: (update, source) => {
        if (source === 'log') return;
        if (source === 'server') throw new Error('a relaying replica made a change of its own');
        return log.append(fileId, update).then(() => undefined);
      },
      onLocalPresence: (update) => presence.publish(fileId, update),
      onChange: () => {},
      onEmpty: () => this.release(fileId),
      onFailure: () => this.unload(fileId, 'the notebook could not be stored; reconnecting'),
    });
    const entry: Entry = { fileId, room, sessionId, grace: undefined };
    this.entries.set(fileId, entry);
    follower.follow(fileId, position, (update) => room.applyFromLog(update));
    presence.subscribe(fileId, (update) => room.applyRemotePresence(update));
    logger.info({ fileId }, 'relaying a notebook owned by another replica');
    return entry;
  }
}
