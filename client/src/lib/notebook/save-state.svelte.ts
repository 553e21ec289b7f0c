// Whether this browser's changes are saved, for the "All changes saved" line. The server
// writes each update to its log as it arrives and the .ipynb a few seconds later, and it
// does not keep @jupyter/ydoc's `state.dirty`, so the client asks: after local changes it
// sends a sync step 1 on the same socket, and the server's step 2 reply can only come once
// every frame sent before it has been applied (the server handles a connection's frames in
// order). Each reply thus confirms what was sent before its question. When the server cannot
// reach the notebook's storage (a bucket), it says so in the document's `storage` map: the
// server has the changes, but saving is paused until the storage is back.

import { STORAGE_MAP } from '@common/doc-schema';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';

export type SaveState = 'saved' | 'saving' | 'unsaved' | 'paused';

const MESSAGE_SYNC = 0;
/** Lets a burst of keystrokes go out before asking, so a question covers many of them. */
const ASK_AFTER_MS = 150;

export class SaveTracker {
  /** Local changes made so far, and how many the server has confirmed. */
  #made = $state(0);
  #confirmed = $state(0);
  #connected = $state(false);
  #paused = $state(false);
  readonly #storage: Y.Map<unknown>;
  /** What each unanswered question covers, oldest first. */
  #asked: number[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly provider: WebsocketProvider,
    private readonly ydoc: Y.Doc,
  ) {
    const original = provider.messageHandlers[MESSAGE_SYNC];
    provider.messageHandlers[MESSAGE_SYNC] = (encoder, decoder, p, emitSynced, type) => {
      const kind = decoding.peekVarUint(decoder);
      original(encoder, decoder, p, emitSynced, type);
      if (kind === syncProtocol.messageYjsSyncStep2) this.#answered();
    };
    ydoc.on('update', this.#onUpdate);
    this.#storage = ydoc.getMap(STORAGE_MAP);
    this.#storage.observe(this.#onStorage);
    provider.on('status', this.#onStatus);
    provider.on('sync', this.#onSync);
  }

  get state(): SaveState {
    if (!this.#connected && this.#confirmed < this.#made) return 'unsaved';
    if (this.#paused) return 'paused';
    if (this.#confirmed >= this.#made) return 'saved';
    return 'saving';
  }

  #onStorage = (): void => {
    this.#paused = this.#storage.has('paused');
  };

  #onUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === this.provider) return;
    this.#made += 1;
    this.#schedule();
  };

  #onStatus = ({ status }: { status: string }): void => {
    this.#connected = status === 'connected';
    // Questions sent on a socket that closed will never be answered.
    if (status !== 'connected') this.#asked = [];
  };

  #onSync = (synced: boolean): void => {
    if (synced) this.#schedule();
  };

  #schedule(): void {
    if (this.#timer || this.#asked.length > 0 || this.#confirmed >= this.#made) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#ask();
    }, ASK_AFTER_MS);
  }

  #ask(): void {
    const ws = this.provider.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.provider.synced) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.ydoc);
    ws.send(encoding.toUint8Array(encoder));
    this.#asked.push(this.#made);
  }

  #answered(): void {
    const covered = this.#asked.shift();
    if (covered === undefined) return;
    this.#confirmed = Math.max(this.#confirmed, covered);
    this.#schedule();
  }

  destroy(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.ydoc.off('update', this.#onUpdate);
    this.#storage.unobserve(this.#onStorage);
    this.provider.off('status', this.#onStatus);
    this.provider.off('sync', this.#onSync);
  }
}
