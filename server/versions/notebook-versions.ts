// One open notebook's versions: who changed it since the last version, when to make the next
// one, and browsing and restoring. Versions are made after a pause in editing (at most one per
// interval while editing goes on), when the notebook closes with unversioned edits, before a
// restore and before an outside edit is merged, and on demand.

import { createHash, randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import type { Identity, VersionAuthor, VersionReason } from '../../common/api';
import type { NotebookJSON } from '../../common/nbformat';
import { notFound } from '../errors';
import { mergeNotebookIntoDoc } from '../notebook/merge';
import { notebookFromDoc } from '../notebook/notebook-doc';
import { serializeNotebook } from '../notebook/serialize';
import type { NotebookListener } from '../notebooks/notebook-extension';
import type { Room, RoomLogger } from '../rooms/room';
import { VERSION_ID, type VersionMeta, type VersionStore } from '../storage/version-store';
import { restorePlan } from './restore-plan';
import { type RetentionPolicy, versionsToDrop } from './retention';
import { dropVersions, readVersionDoc } from './version-chain';
import { encodeVersionState } from './version-state';

export interface VersionSettings {
  /** Make a version once editing has paused this long. */
  pauseMs: number;
  /** At most one automatic version per this long, and at least one per this long of editing. */
  intervalMs: number;
  retention: RetentionPolicy;
}

/** Origin of the changes a restore makes. */
export const RESTORE_ORIGIN = Symbol('tandem-restore');

export interface RestoreResult {
  /** The version made just before the restore: restoring it undoes the restore. */
  before: string;
}

const contentHash = (doc: Y.Doc): string =>
  createHash('sha256')
    .update(serializeNotebook(notebookFromDoc(doc)))
    .digest('hex');

/** A whole state at least every this many versions: reading one never walks a long chain. */
const CHAIN_LENGTH = 20;

/** Sorts by time, then at random among versions of the same millisecond. */
function newVersionId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`;
}

export class NotebookVersions implements NotebookListener {
  private readonly authors = new Map<string, VersionAuthor>();
  private firstEditAt = 0;
  private lastEditAt = 0;
  private lastAutoAt = 0;
  /** The content of the last version made while loaded; an unchanged notebook needs no new one. */
  private lastHash: string | undefined;
  /**
   * The last version made while loaded, which the next one builds on. Only versions of this
   * document in memory serve as bases: a history rebuilt in between has other client ids.
   */
  private last: { id: string; stateVector: Uint8Array; depth: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private making: Promise<unknown> = Promise.resolve();
  private unloaded = false;

  constructor(
    private readonly fileId: string,
    private readonly room: Room,
    private readonly store: VersionStore,
    private readonly settings: VersionSettings,
    private readonly log: RoomLogger,
  ) {}

  /** A person's change was applied to the document. */
  edited(identity: Identity): void {
    if (this.unloaded) return;
    const now = Date.now();
    if (this.authors.size === 0) this.firstEditAt = now;
    this.lastEditAt = now;
    this.authors.set(identity.username, { username: identity.username, name: identity.display_name || identity.name, color: identity.color });
    this.schedule();
  }

  /** An outside edit is about to be merged: keep what it replaces, unless a version already has it. */
  async beforeOutsideEdit(): Promise<void> {
    await this.make('before-outside-edit', null, { onlyIfChanged: true });
  }

  async unload(): Promise<void> {
    this.unloaded = true;
    clearTimeout(this.timer);
    if (this.authors.size > 0) await this.make('closed', null, { onlyIfChanged: true }).catch(() => {});
    await this.making.catch(() => {});
  }

  list(): Promise<VersionMeta[]> {
    return this.store.list(this.fileId);
  }

  /** Makes a version now, with a label a person gave it (or none). */
  async save(label: string | null): Promise<VersionMeta> {
    return (await this.make('manual', label, { onlyIfChanged: false }))!;
  }

  /** The notebook as it was at a version. */
  async content(id: string): Promise<NotebookJSON> {
    const doc = await this.versionDoc(id);
    try {
      return notebookFromDoc(doc);
    } finally {
      doc.destroy();
    }
  }

  /**
   * Brings back a version, whole or only some cells, as a new change everyone sees live. The
   * notebook as it stood is kept as a version first, so the restore can itself be undone.
   */
  async restore(id: string, cellIds: readonly string[] | undefined, by: Identity): Promise<RestoreResult> {
    const version = await this.versionDoc(id);
    try {
      const doc = this.room.doc;
      // Checked before anything is kept: a request for a cell the version lacks changes nothing.
      restorePlan(doc, version, cellIds);
      const before = await this.make('before-restore', null, { onlyIfChanged: false });
      // Planned again: the notebook may have changed while the version was being stored.
      mergeNotebookIntoDoc(doc, restorePlan(doc, version, cellIds), RESTORE_ORIGIN);
      this.edited(by);
      return { before: before!.id };
    } finally {
      version.destroy();
    }
  }

  private async versionDoc(id: string): Promise<Y.Doc> {
    const doc = VERSION_ID.test(id) ? await readVersionDoc(this.store, this.fileId, id) : undefined;
    if (!doc) throw notFound(`This notebook has no version ${id}`);
    return doc;
  }

  private schedule(): void {
    if (this.timer) return;
    const { pauseMs, intervalMs } = this.settings;
    const due = Math.max(Math.min(this.lastEditAt + pauseMs, this.firstEditAt + intervalMs), this.lastAutoAt + intervalMs);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.authors.size === 0 || this.unloaded) return;
        // Edits went on since: wait for the pause, unless the interval is up.
        const now = Date.now();
        if (now < this.lastEditAt + pauseMs && now < this.firstEditAt + intervalMs) {
          this.schedule();
          return;
        }
        this.lastAutoAt = now;
        this.make('auto', null, { onlyIfChanged: true }).catch(() => {});
      },
      Math.max(0, due - Date.now()),
    );
    this.timer.unref();
  }

  /** One at a time, in order: each version's authors are exactly those since the one before. */
  private make(reason: VersionReason, label: string | null, { onlyIfChanged }: { onlyIfChanged: boolean }): Promise<VersionMeta | undefined> {
    const run = this.making.catch(() => {}).then(() => this.makeNow(reason, label, onlyIfChanged));
    this.making = run;
    return run;
  }

  private async makeNow(reason: VersionReason, label: string | null, onlyIfChanged: boolean): Promise<VersionMeta | undefined> {
    const doc = this.room.doc;
    const hash = contentHash(doc);
    if (onlyIfChanged && hash === this.lastHash) {
      this.authors.clear();
      return undefined;
    }
    const authors = [...this.authors.values()];
    this.authors.clear();
    const now = Date.now();
    const base = this.last && this.last.depth + 1 < CHAIN_LENGTH ? this.last : undefined;
    const stateVector = Y.encodeStateVector(doc);
    const state = await encodeVersionState(doc, base?.stateVector);
    const depth = base ? base.depth + 1 : 0;
    const meta: VersionMeta = {
      id: newVersionId(now),
      createdAt: new Date(now).toISOString(),
      authors,
      label,
      reason,
      bytes: state.byteLength,
      base: base?.id ?? null,
      depth,
    };
    try {
      await this.store.save(this.fileId, meta, state);
    } catch (error) {
      // Not kept: the next version names these authors instead.
      for (const author of authors) if (!this.authors.has(author.username)) this.authors.set(author.username, author);
      this.log.error({ fileId: this.fileId, err: error, reason }, 'could not store a version');
      throw error;
    }
    this.lastHash = hash;
    this.last = { id: meta.id, stateVector, depth };
    await this.prune(now);
    return meta;
  }

  private async prune(now: number): Promise<void> {
    try {
      const drop = versionsToDrop(await this.store.list(this.fileId), this.settings.retention, now);
      await dropVersions(this.store, this.fileId, drop);
    } catch (error) {
      this.log.warn({ fileId: this.fileId, err: error }, 'could not prune old versions; they are kept');
    }
  }
}
