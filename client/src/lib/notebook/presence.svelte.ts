// Presence over Yjs awareness. Each client publishes `user` (the server replaces it with the
// signed-in identity and role) and `presence`, our own field: the active cell, the mode, and
// where the viewport is, which is what followers need to track someone.

import type { AwarenessUser, Role, RoomAwareness } from '@common/doc-schema';
import type { Awareness } from 'y-protocols/awareness';
import type { Identity } from '../api/me';
import { colorFor, initialsOf } from '../ui/colors';

export interface Viewport {
  /** The first cell visible at the top of the notebook's scroll area. */
  cellId: string;
  /** How far into that cell the top of the viewport is, as a fraction of its height. */
  offset: number;
}

export interface Presence {
  cellId: string | null;
  mode: 'command' | 'edit';
  viewport: Viewport | null;
  /** Client id of the person this client follows, if any. */
  following: number | null;
}

export interface Peer {
  clientId: number;
  user: AwarenessUser;
  presence: Presence | null;
}

/** One person, who may be here from several tabs. */
export interface Person {
  username: string;
  user: AwarenessUser;
  clientIds: number[];
}

function asUser(v: unknown, fallbackRole: Role): AwarenessUser | null {
  if (!v || typeof v !== 'object') return null;
  const u = v as Partial<AwarenessUser> & { name?: string };
  const name = u.display_name || u.name || u.username;
  if (!name) return null;
  return {
    username: u.username || name,
    name: u.name || name,
    display_name: name,
    initials: initialsOf(name, u.initials),
    color: colorFor(u.username || name, u.color),
    role: u.role ?? fallbackRole,
  };
}

export class PresenceModel {
  peers = $state.raw<Peer[]>([]);
  people = $state.raw<Person[]>([]);
  viewers = $state(0);
  self: AwarenessUser;
  #local: Presence = { cellId: null, mode: 'command', viewport: null, following: null };
  #onChange = (): void => this.#read();

  constructor(
    readonly awareness: Awareness,
    identity: Identity,
    role: Role,
  ) {
    const name = identity.display_name || identity.name || identity.username;
    this.self = {
      username: identity.username,
      name: identity.name || name,
      display_name: name,
      initials: initialsOf(name, identity.initials),
      color: colorFor(identity.username, identity.color),
      role,
    };
    awareness.setLocalStateField('user', this.self);
    awareness.setLocalStateField('presence', this.#local);
    awareness.on('change', this.#onChange);
    this.#read();
  }

  get clientId(): number {
    return this.awareness.clientID;
  }

  /** After choosing a new name: publish it (the server confirms it on the next connection). */
  rename(identity: Identity): void {
    const name = identity.display_name || identity.name || identity.username;
    this.self = { ...this.self, name, display_name: name, initials: initialsOf(name, identity.initials) };
    this.awareness.setLocalStateField('user', this.self);
  }

  set(partial: Partial<Presence>): void {
    const next = { ...this.#local, ...partial };
    if (
      next.cellId === this.#local.cellId &&
      next.mode === this.#local.mode &&
      next.following === this.#local.following &&
      JSON.stringify(next.viewport) === JSON.stringify(this.#local.viewport)
    ) {
      return;
    }
    this.#local = next;
    this.awareness.setLocalStateField('presence', next);
  }

  peer(clientId: number | null): Peer | undefined {
    return clientId === null ? undefined : this.peers.find((p) => p.clientId === clientId);
  }

  #read(): void {
    const peers: Peer[] = [];
    let viewers = 0;
    for (const [clientId, state] of this.awareness.getStates()) {
      const room = (state as { room?: RoomAwareness }).room;
      // One state per server: in a cluster, each replica counts the viewers it serves.
      if (room && typeof room.viewers === 'number') viewers += room.viewers;
      if (clientId === this.awareness.clientID) continue;
      const user = asUser((state as { user?: unknown }).user, 'editor');
      if (!user) continue;
      const presence = ((state as { presence?: Presence }).presence ?? null) as Presence | null;
      peers.push({ clientId, user, presence });
    }
    // Newest activity first, so following a person follows the tab they are using now.
    const seen = (id: number): number => this.awareness.meta.get(id)?.lastUpdated ?? 0;
    peers.sort((a, b) => seen(b.clientId) - seen(a.clientId));
    const people = new Map<string, Person>();
    for (const p of peers) {
      const person = people.get(p.user.username);
      if (person) person.clientIds.push(p.clientId);
      else people.set(p.user.username, { username: p.user.username, user: p.user, clientIds: [p.clientId] });
    }
    this.peers = peers;
    // Avatars keep a stable order; only the tab chosen for following depends on activity.
    this.people = [...people.values()].sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
    this.viewers = viewers;
  }

  dispose(): void {
    this.awareness.off('change', this.#onChange);
  }
}
