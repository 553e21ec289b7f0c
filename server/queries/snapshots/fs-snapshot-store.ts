// Snapshots on local disk, in the state directory, so they survive restarts:
//
//   snapshots/data/<sha256>.arrow   Arrow IPC stream, named by its content, written once
//   snapshots/meta/<id>.json        metadata, named by its query and data, replaced atomically
//                                   when a fetch is added
//   snapshots/index/<fileId>.jsonl  one line per snapshot of that notebook, appended
//   snapshots/tmp/                  data being written; cleared at start
//
// A crash between the steps of a put leaves at worst an unreferenced data file or a snapshot
// missing from its notebook's list; never a listed snapshot without its data.

import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { appendFile, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { writeFileAtomic } from '../../storage/atomic-write';
import { addFetch, isSnapshotId, type SnapshotMeta, withFetches } from './snapshot';
import type { PendingData, SnapshotStore } from './snapshot-store';

const SHA256 = /^[0-9a-f]{64}$/;
const FILE_ID = /^[A-Za-z0-9_-]{1,128}$/;

interface IndexLine {
  id: string;
  cellId: string;
}

export class FsSnapshotStore implements SnapshotStore {
  private readonly dataDir: string;
  private readonly metaDir: string;
  private readonly indexDir: string;
  private readonly tmpDir: string;
  /** Metadata changes only through this store (a fetch added), so what was read can be kept. */
  private readonly cache = new Map<string, SnapshotMeta>();
  /** Records in progress, by id: two fetches of the same data must not overwrite each other. */
  private readonly recording = new Map<string, Promise<SnapshotMeta>>();

  constructor(
    root: string,
    /** Told after every write (to store the snapshot beyond this machine). */
    private readonly onWrite: (path: string) => void = () => {},
  ) {
    this.dataDir = join(root, 'data');
    this.metaDir = join(root, 'meta');
    this.indexDir = join(root, 'index');
    this.tmpDir = join(root, 'tmp');
    for (const dir of [this.dataDir, this.metaDir, this.indexDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Whatever was being written when the last process stopped was never committed.
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  async beginData(): Promise<PendingData> {
    const path = join(this.tmpDir, `${randomBytes(8).toString('hex')}.arrow`);
    return {
      path,
      commit: async (sha256: string) => {
        if (!SHA256.test(sha256)) throw new Error('not a sha256');
        const target = this.dataPath(sha256);
        // The same bytes may already be stored (the same result fetched twice): keep one copy.
        if (existsSync(target)) await rm(path, { force: true });
        else {
          await rename(path, target);
          this.onWrite(target);
        }
      },
      discard: () => rm(path, { force: true }),
    };
  }

  record(meta: SnapshotMeta): Promise<SnapshotMeta> {
    const before = this.recording.get(meta.id) ?? Promise.resolve(undefined);
    const done = before.catch(() => undefined).then(() => this.recordNow(meta));
    this.recording.set(meta.id, done);
    const forget = () => {
      if (this.recording.get(meta.id) === done) this.recording.delete(meta.id);
    };
    done.then(forget, forget);
    return done;
  }

  private async recordNow(meta: SnapshotMeta): Promise<SnapshotMeta> {
    if (!isSnapshotId(meta.id) || !FILE_ID.test(meta.notebook)) throw new Error('invalid snapshot metadata');
    if (!existsSync(this.dataPath(meta.data.sha256))) throw new Error(`snapshot ${meta.id} has no stored data`);
    const stored = await this.get(meta.id);
    const next = stored ? addFetch(stored, meta) : meta;
    await writeFileAtomic(this.metaPath(meta.id), JSON.stringify(next), 0o600);
    this.onWrite(this.metaPath(meta.id));
    if (!stored) {
      const line: IndexLine = { id: meta.id, cellId: meta.cellId };
      await appendFile(join(this.indexDir, `${meta.notebook}.jsonl`), `${JSON.stringify(line)}\n`, { mode: 0o600 });
      this.onWrite(join(this.indexDir, `${meta.notebook}.jsonl`));
    }
    this.cache.set(meta.id, next);
    return next;
  }

  async get(id: string): Promise<SnapshotMeta | undefined> {
    if (!isSnapshotId(id)) return undefined;
    const cached = this.cache.get(id);
    if (cached) return cached;
    let text: string;
    try {
      text = await readFile(this.metaPath(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const meta = withFetches(JSON.parse(text) as SnapshotMeta);
    if (meta.id !== id) return undefined;
    this.cache.set(id, meta);
    return meta;
  }

  async list(notebook: string, cellId?: string): Promise<SnapshotMeta[]> {
    if (!FILE_ID.test(notebook)) return [];
    let text: string;
    try {
      text = await readFile(join(this.indexDir, `${notebook}.jsonl`), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const ids = new Set<string>();
    for (const raw of text.split('\n')) {
      // A line cut short by a crash is skipped.
      let line: IndexLine;
      try {
        line = JSON.parse(raw) as IndexLine;
      } catch {
        continue;
      }
      if (cellId === undefined || line.cellId === cellId) ids.add(line.id);
    }
    const metas = await Promise.all([...ids].map((id) => this.get(id)));
    return metas.filter((m): m is SnapshotMeta => m !== undefined).sort((a, b) => b.finishedAt - a.finishedAt);
  }

  async openData(meta: SnapshotMeta): Promise<Readable> {
    return createReadStream(this.dataPath(meta.data.sha256));
  }

  localPath(meta: SnapshotMeta): string {
    return this.dataPath(meta.data.sha256);
  }

  /** Ids of every stored snapshot (for tests and maintenance). */
  ids(): string[] {
    return readdirSync(this.metaDir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -5));
  }

  private dataPath(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256');
    return join(this.dataDir, `${sha256}.arrow`);
  }

  private metaPath(id: string): string {
    return join(this.metaDir, `${id}.json`);
  }
}
