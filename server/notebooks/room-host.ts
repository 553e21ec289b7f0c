// Where the WebSocket transport and the collaboration handshake find a notebook's room. On one
// process, that is the open notebook's own room. In cluster mode it may instead be a room that
// relays another replica's notebook (cluster/cluster.ts); the transport cannot tell.

import type { Room } from '../rooms/room';
import type { OpenNotebooks } from './open-notebooks';

export interface RoomHandle {
  readonly room: Room;
  readonly sessionId: string;
  /** The caller no longer needs the room kept loaded (its connections still count). */
  release(): void;
  /** False once the room was unloaded or replaced since it was opened. */
  isCurrent(): boolean;
}

export interface RoomHost {
  openRoom(fileId: string): Promise<RoomHandle>;
}

export async function ownedRoom(notebooks: OpenNotebooks, fileId: string): Promise<RoomHandle> {
  const notebook = await notebooks.open(fileId);
  return {
    room: notebook.room,
    sessionId: notebook.sessionId,
    release: () => notebooks.release(fileId),
    isCurrent: () => notebooks.get(fileId) === notebook,
  };
}

export function localRooms(notebooks: OpenNotebooks): RoomHost {
  return { openRoom: (fileId) => ownedRoom(notebooks, fileId) };
}
