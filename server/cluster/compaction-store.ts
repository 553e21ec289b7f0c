// The compacted state of each notebook in cluster mode, written by its owner: what the shared
// log is folded into. On the filesystem (the default), files in the state directory that every
// replica shares (with --storage s3://, s3-compaction-store.ts keeps them in the bucket):
//
//   cluster/{fileId}/snapshot.{fence}.bin   meta (JSON, length-prefixed), then the state
//   cluster/{fileId}/saved.json             what was last written to the .ipynb
//
// Each snapshot is named by its writer's fencing token, and readers take the highest. A
// replica that lost its lease while paused, and wakes to write one more, writes under its old
// token: nobody reads it, and the new owner's next snapshot removes it.

import { mkdirSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-write';

export interface CompactionMeta {
  fileId: string;
  sessionId: string;
  createdAt: string;
  /** The last log entry the state holds. */
  position: string;
}

export interface Compaction {
  meta: CompactionMeta;
  state: Uint8Array;
  fence: number;
}

const SNAPSHOT = /^snapshot\.(\d+)\.bin$/;

export interface CompactionStore {
  /** The newest snapshot, or undefined when there is none. */
  read(fileId: string): Promise<Compaction | undefined>;
  /** Writes a snapshot as the owner holding `fence`; refused (FencedError) once a higher fence wrote. */
  write(fence: number, meta: CompactionMeta, state: Uint8Array): Promise<void>;
  savedHash(fileId: string): Promise<string | undefined>;
  setSavedHash(fileId: string, hash: string): Promise<void>;
  remove(fileId: string): Promise<void>;
}

export class FsCompactionStore implements CompactionStore {
  constructor(private readonly stateDir: string) {}

  private dirOf(fileId: string): string {
    return join(this.stateDir, 'cluster', fileId);
  }

  async read(fileId: string): Promise<Compaction | undefined> {
    const fences = await this.fences(fileId);
    for (const fence of fences.reverse()) {
      try {
        const bytes = await readFile(join(this.dirOf(fileId), `snapshot.${fence}.bin`));
        const metaLength = bytes.readUInt32BE(0);
        const meta = JSON.parse(bytes.subarray(4, 4 + metaLength).toString('utf8')) as CompactionMeta;
        return { meta, state: new Uint8Array(bytes.subarray(4 + metaLength)), fence };
      } catch {
        // Removed by a newer owner between listing and reading: take the next.
      }
    }
    return undefined;
  }

  /** Writes a snapshot under `fence`, then removes those of lower fences. */
  async write(fence: number, meta: CompactionMeta, state: Uint8Array): Promise<void> {
    const dir = this.dirOf(meta.fileId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const header = Buffer.from(JSON.stringify(meta), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(header.length);
    await writeFileAtomic(join(dir, `snapshot.${fence}.bin`), Buffer.concat([length, header, state]), 0o600);
    for (const older of await this.fences(meta.fileId)) {
      if (older < fence) await rm(join(dir, `snapshot.${older}.bin`), { force: true });
    }
  }

  async savedHash(fileId: string): Promise<string | undefined> {
    try {
      return (JSON.parse(await readFile(join(this.dirOf(fileId), 'saved.json'), 'utf8')) as { hash?: string }).hash;
    } catch {
      return undefined;
    }
  }

  async setSavedHash(fileId: string, hash: string): Promise<void> {
    mkdirSync(this.dirOf(fileId), { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dirOf(fileId), 'saved.json'), JSON.stringify({ hash }), 0o600);
  }

  async remove(fileId: string): Promise<void> {
    await rm(this.dirOf(fileId), { recursive: true, force: true });
  }

  private async fences(fileId: string): Promise<number[]> {
    const names = await readdir(this.dirOf(fileId)).catch(() => [] as string[]);
    return names
      .map((name) => SNAPSHOT.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }
}
