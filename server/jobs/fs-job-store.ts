// Run records on the local disk: STATE/jobs/{id}/record.json and executed.ipynb, each written
// atomically, so a reader never sees half a record.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobRecord } from '../../common/api';
import type { NotebookJSON } from '../../common/nbformat';
import { rejoinLines } from '../notebook/lines';
import { serializeNotebook } from '../notebook/serialize';
import { writeFileAtomic } from '../storage/atomic-write';
import type { JobStore } from './job-store';
import type { Publication } from './report';

const JOB_ID = /^[A-Za-z0-9-]{1,64}$/;

export class FsJobStore implements JobStore {
  constructor(private readonly dir: string) {}

  async save(record: JobRecord): Promise<void> {
    const dir = this.dirOf(record.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (record.executed) await writeFileAtomic(join(dir, 'executed.ipynb'), serializeNotebook(record.executed as unknown as NotebookJSON), 0o600);
    // The record itself last: once it exists, so does everything it points to.
    const { executed: _executed, ...rest } = record;
    await writeFileAtomic(join(dir, 'record.json'), JSON.stringify(rest), 0o600);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    const dir = this.dirOf(id);
    let text: string;
    try {
      text = await readFile(join(dir, 'record.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const rest = JSON.parse(text) as Omit<JobRecord, 'executed'>;
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

  async publish(id: string, publication: Publication): Promise<void> {
    // Beside the record, which stays as it was written.
    await writeFileAtomic(join(this.dirOf(id), 'published.json'), JSON.stringify(publication), 0o600);
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

  private dirOf(id: string): string {
    if (!JOB_ID.test(id)) throw new Error('invalid job id');
    return join(this.dir, id);
  }
}
