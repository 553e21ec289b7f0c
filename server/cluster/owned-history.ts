// A notebook's history while this replica owns it in cluster mode. The shared log (a Redis
// stream) is the log; the owner folds it into snapshots (compaction-store.ts) and trims what
// they hold. Changes of the owner's own making are appended fenced: once another replica has
// the lease, they are refused and never reach anyone.

import * as Y from 'yjs';
import { buildFromFile } from '../notebooks/load-document';
import type { RoomLogger } from '../rooms/room';
import { LOG_ORIGIN } from '../rooms/room';
import type { DocHistory, DocStorage, UpdateSource } from '../storage/doc-storage';
import type { CompactionMeta, CompactionStore } from './compaction-store';
import type { Lease, Leases } from './leases';
import type { NotebookLog } from './notebook-log';

export interface OwnedHistoryDeps {
  fileId: string;
  lease: Lease;
  leases: Leases;
  log: NotebookLog;
  snapshots: CompactionStore;
  /** How far this replica has read the notebook's log (every entry up to it is in the document). */
  position(): string | undefined;
}

export class OwnedHistory implements DocHistory {
  private bytes = 0;
  private compacting: Promise<void> | undefined;

  constructor(
    private readonly deps: OwnedHistoryDeps,
    private meta: CompactionMeta,
    private hash: string | undefined,
  ) {}

  get sessionId(): string {
    return this.meta.sessionId;
  }

  get savedHash(): string | undefined {
    return this.hash;
  }

  get logBytes(): number {
    return this.bytes;
  }

  append(update: Uint8Array, source: UpdateSource = 'server'): void | Promise<void> {
    this.bytes += update.byteLength;
    if (source === 'log') return;
    const { fileId, log, lease } = this.deps;
    const stored = source === 'server' ? log.appendFenced(fileId, update, lease) : log.append(fileId, update);
    return stored.then(() => undefined);
  }

  async checkFence(): Promise<void> {
    await this.deps.leases.check(this.deps.fileId);
  }

  async setSavedHash(hash: string): Promise<void> {
    await this.checkFence();
    this.hash = hash;
    await this.deps.snapshots.setSavedHash(this.deps.fileId, hash);
  }

  compact(encodeState: () => Uint8Array): Promise<void> {
    this.compacting ??= this.snapshot(encodeState).finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  async close(): Promise<void> {
    await this.compacting?.catch(() => {});
  }

  private async snapshot(encodeState: () => Uint8Array): Promise<void> {
    const { fileId, leases, log, snapshots } = this.deps;
    const lease = await leases.check(fileId);
    // Read before the state is taken: every entry up to it is in the document then.
    const position = this.deps.position() ?? this.meta.position;
    this.bytes = 0;
    const state = encodeState();
    await snapshots.write(lease.fence, { ...this.meta, position }, state);
    this.meta = { ...this.meta, position };
    if (position !== '0-0') await log.trim(fileId, position, lease);
  }
}

export interface LoadOwnedOptions extends OwnedHistoryDeps {
  /** The document to load into: a new one, or the relayed room's that this replica now owns. */
  doc: Y.Doc;
  absolutePath: string;
  /** Histories kept before cluster mode was switched on (DocStorage of one process). */
  storage: DocStorage;
  logger: RoomLogger;
}

/**
 * Loads a notebook as its new owner: the newest snapshot (or a history from before cluster
 * mode, or the .ipynb), then every log entry after it. A snapshot under this owner's token is
 * written before anyone is served, so a new lineage is never served unstored.
 */
export async function loadOwned(options: LoadOwnedOptions): Promise<{ history: OwnedHistory; position: string }> {
  const { doc, fileId, log, snapshots, lease } = options;
  const apply = (update: Uint8Array) => Y.applyUpdate(doc, update, LOG_ORIGIN);
  const snapshot = await snapshots.read(fileId);
  let meta: CompactionMeta;
  let hash = await snapshots.savedHash(fileId);
  if (snapshot) {
    apply(snapshot.state);
    meta = snapshot.meta;
  } else {
    const earlier = await options.storage.load(fileId);
    if (earlier) {
      for (const update of earlier.updates) apply(update);
      await earlier.history.close();
      meta = { fileId, sessionId: earlier.meta.sessionId, createdAt: earlier.meta.createdAt, position: '0-0' };
      hash ??= earlier.meta.savedHash;
    } else {
      // A log without any snapshot belongs to no lineage that was ever stored: start afresh.
      await log.remove(fileId);
      const built = await buildFromFile(fileId, options.absolutePath, options.logger);
      apply(built.initial);
      meta = { fileId, sessionId: built.meta.sessionId, createdAt: built.meta.createdAt, position: '0-0' };
      hash = built.meta.savedHash;
    }
  }
  const entries = await log.range(fileId, meta.position);
  for (const entry of entries) apply(entry.update);
  const position = entries.length ? entries[entries.length - 1].id : meta.position;
  await options.leases.check(fileId);
  await snapshots.write(lease.fence, { ...meta, position }, Y.encodeStateAsUpdate(doc));
  if (hash) await snapshots.setSavedHash(fileId, hash);
  return { history: new OwnedHistory(options, { ...meta, position }, hash), position };
}
