// One chaos participant: a real y-websocket provider on a YNotebook document that types,
// inserts, deletes and moves its own cells at random, drops its connection or works offline for
// a while, and keeps the books on every tag it wrote, so the end can count each one.
//
// A client only ever types into, deletes or moves cells it created itself. Moving a cell in the
// YNotebook schema copies it; a copy taken while someone else types into the cell would lose
// their keystrokes in any Yjs system, and two people moving one cell would duplicate it. Those
// are limits of the document model, not of the server, so the run keeps clear of them and any
// loss or duplicate it finds is the server's.
import * as Y from 'yjs';
import { cellsOf, moveCell, newCell } from '../lib/cells.js';
import { type RealClient, realClient } from '../lib/provider.js';
import type { Rng } from '../lib/random.js';
import type { ProviderTarget } from '../lib/rooms.js';
import { now } from '../lib/stats.js';
import { makeTag, tagsInText } from '../lib/tags.js';

export interface ChaosCounts {
  actions: number;
  typed: number;
  cellsInserted: number;
  cellsDeleted: number;
  cellsMoved: number;
  textDeleted: number;
  drops: number;
  offlineSpells: number;
}

export class ChaosClient {
  readonly real: RealClient;
  readonly doc: Y.Doc;
  /** Tags this client wrote that it has not deleted itself. */
  readonly live = new Set<string>();
  /** Tags this client deleted on purpose (with their cell or alone). */
  readonly deleted = new Set<string>();
  /** Other clients' tags that reached this client through the server. */
  readonly receivedFromOthers = new Set<string>();
  readonly closeCodes: number[] = [];
  readonly counts: ChaosCounts = { actions: 0, typed: 0, cellsInserted: 0, cellsDeleted: 0, cellsMoved: 0, textDeleted: 0, drops: 0, offlineSpells: 0 };
  private seq = 0;
  private offlineTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: number,
    target: ProviderTarget,
    private readonly rng: Rng,
  ) {
    // Reconnect quickly: the server comes back within a second or two of each kill.
    this.real = realClient(target, { maxBackoffTime: 400 });
    this.doc = this.real.notebook.ydoc;
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== this.real.provider) return;
      for (const tag of tagsInText(Buffer.from(update).toString('utf8'))) {
        if (!tag.startsWith(`w${this.id}.`)) this.receivedFromOthers.add(tag);
      }
    });
    this.real.provider.on('connection-close', (event: { code: number } | null) => {
      if (event) this.closeCodes.push(event.code);
    });
  }

  private tag(): string {
    const t = makeTag(this.id, this.seq++, now());
    this.live.add(t.slice(1, -1));
    return t;
  }

  /** The indices of cells this client created: their source starts with one of its tags. */
  private ownCells(): number[] {
    const out: number[] = [];
    cellsOf(this.doc).forEach((cell, i) => {
      const source = cell.get('source');
      if (source instanceof Y.Text && source.toString().startsWith(`\u001ew${this.id}.`)) out.push(i);
    });
    return out;
  }

  /** One random action. */
  act(): void {
    const r = this.rng.next();
    const own = this.ownCells();
    this.counts.actions++;
    if (own.length === 0 || (r < 0.15 && own.length < 12)) {
      const cells = cellsOf(this.doc);
      cells.insert(this.rng.int(cells.length + 1), [newCell(this.tag(), this.rng.next() < 0.8 ? 'code' : 'markdown')]);
      this.counts.cellsInserted++;
    } else if (r < 0.7) {
      const source = cellsOf(this.doc).get(this.rng.pick(own)).get('source') as Y.Text;
      source.insert(source.length, this.tag());
      this.counts.typed++;
    } else if (r < 0.78) {
      const index = this.rng.pick(own);
      for (const t of tagsInText((cellsOf(this.doc).get(index).get('source') as Y.Text).toString())) this.forget(t);
      cellsOf(this.doc).delete(index, 1);
      this.counts.cellsDeleted++;
    } else if (r < 0.86) {
      moveCell(this.doc, this.rng.pick(own), this.rng.int(cellsOf(this.doc).length));
      this.counts.cellsMoved++;
    } else if (r < 0.92) {
      this.deleteLastTag(this.rng.pick(own));
    } else if (r < 0.96) {
      this.drop();
    } else {
      this.goOffline(this.rng.between(300, 3000));
    }
  }

  /** Deletes the last tag typed into a cell, but never the cell's first (its owner mark). */
  private deleteLastTag(index: number): void {
    const source = cellsOf(this.doc).get(index).get('source') as Y.Text;
    const text = source.toString();
    const tags = tagsInText(text);
    if (tags.length < 2) return;
    const last = tags[tags.length - 1];
    const start = text.lastIndexOf(`\u001e${last}\u001e`);
    source.delete(start, last.length + 2);
    this.forget(last);
    this.counts.textDeleted++;
  }

  private forget(tag: string): void {
    if (this.live.delete(tag)) this.deleted.add(tag);
  }

  /** Cuts the socket without a close handshake; the provider reconnects by itself. */
  drop(): void {
    const ws = this.real.provider.ws as unknown as { terminate?: () => void } | null;
    if (ws?.terminate) {
      ws.terminate();
      this.counts.drops++;
    }
  }

  /** Disconnects, keeps editing locally for a while, then reconnects. */
  goOffline(ms: number): void {
    if (this.offlineTimer) return;
    this.real.provider.disconnect();
    this.counts.offlineSpells++;
    this.offlineTimer = setTimeout(() => {
      this.offlineTimer = null;
      this.real.provider.connect();
    }, ms);
  }

  /** Ends any offline spell and makes sure the provider is connecting. */
  comeOnline(): void {
    if (this.offlineTimer) clearTimeout(this.offlineTimer);
    this.offlineTimer = null;
    if (!this.real.provider.shouldConnect) this.real.provider.connect();
  }

  destroy(): void {
    if (this.offlineTimer) clearTimeout(this.offlineTimer);
    this.real.destroy();
  }
}
