// Run records on the local disk: STATE/jobs/{id}/record.json and executed.ipynb, each written
// atomically, so a reader never sees half a record.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobRecord } from '../../common/api';
import type { NotebookJSON } from '../../common/nbformat';
import { rejoinLines } from '../notebook/lines';
import { serializeNotebook } from '../notebook/serialize';
import { writeFileAtomic } from '../storage/atomic-write';
import type { JobStore, StoredRecord } from './job-store';
import type { Publication } from './report';

const JOB_ID = /^[A-Za-z0-9-]{1,64}$/;

export class FsJobStore implements JobStore {
  /** Which notebook each stored record ran, and when: records never change, so this is read once per record. */
  private readonly index = new Map<string, { fileId: string; queuedAt: number }>();

  constructor(
    private readonly dir: string,
    /** Told after every write (to store the record beyond this machine). */
    private readonly onWrite: (path: string) => void = () => {},
  ) {}

  async save(record: JobRecord): Promise<void> {
    const dir = this.dirOf(record.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (record.executed) {
      await writeFileAtomic(join(dir, 'executed.ipynb'), serializeNotebook(record.executed as unknown as NotebookJSON), 0o600);
      this.onWrite(join(dir, 'executed.ipynb'));
    }
    // The record itself last: once it exists, so does everything it points to.
    const { executed: _executed, ...rest } = record;
    await writeFileAtomic(join(dir, 'record.json'), JSON.stringify(rest), 0o600);
    this.onWrite(join(dir, 'record.json'));
    this.index.set(record.id, { fileId: record.notebook.fileId, queuedAt: record.queuedAt });
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const rest = await this.readRecord(id);
    if (!rest) return undefined;
    const dir = this.dirOf(id);
    let executed: JobRecord['executed'] = null;
    try {
      // In memory, as everywhere in the server, multi-line strings are joined.
      const onDisk = JSON.parse(await readFile(join(dir, 'executed.ipynb'), 'utf8')) as NotebookJSON;
      executed = rejoinLines(onDisk) as unknown as JobRecord['executed'];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { ...rest, executed };
  }

  async list(fileId: string, limit: number): Promise<StoredRecord[]> {
    let ids: string[];
    try {
      ids = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    for (const id of ids) {
      if (this.index.has(id) || !JOB_ID.test(id)) continue;
      // A job still being saved has no record yet: it is read on a later listing.
      const record = await this.readRecord(id).catch(() => undefined);
      if (record) this.index.set(id, { fileId: record.notebook.fileId, queuedAt: record.queuedAt });
    }
    const newest = [...this.index]
      .filter(([, entry]) => entry.fileId === fileId)
      .sort(([, a], [, b]) => b.queuedAt - a.queuedAt)
      .slice(0, limit);
    const records = await Promise.all(newest.map(([id]) => this.readRecord(id)));
    return records.filter((record): record is StoredRecord => record !== undefined);
  }

  async publish(id: string, publication: Publication): Promise<void> {
    // Beside the record, which stays as it was written.
    await writeFileAtomic(join(this.dirOf(id), 'published.json'), JSON.stringify(publication), 0o600);
    this.onWrite(join(this.dirOf(id), 'published.json'));
  }

  async publication(id: string): Promise<Publication | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.dirOf(id), 'published.json'), 'utf8')) as Publication;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  executedPath(id: string): string {
    return join(this.dirOf(id), 'executed.ipynb');
  }

  private async readRecord(id: string): Promise<StoredRecord | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.dirOf(id), 'record.json'), 'utf8')) as StoredRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private dirOf(id: string): string {
    if (!JOB_ID.test(id)) throw new Error('invalid job id');
    return join(this.dir, id);
  }
}
