// The filesystem behind VersionStore, under the state directory:
//
//   versions/{fileId}/index.json   every version's facts, newest first
//   versions/{fileId}/{id}.bin     one version's encoded state
//
// Apart from docs/{fileId}: a history rebuilt under a new sessionId keeps its versions. The
// state is written before the index names it, so a crash leaves at worst an unnamed file.
// Index updates of one notebook run one at a time.

import { mkdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { KeyedSerial } from './keyed-serial';
import { VERSION_ID, type VersionMeta, type VersionStore } from './version-store';

export class FsVersionStore implements VersionStore {
  /** Saves of one notebook in this process run one at a time: each rewrites its index whole. */
  private readonly serial = new KeyedSerial();

  constructor(private readonly stateDir: string) {}

  async save(fileId: string, meta: VersionMeta, state: Uint8Array): Promise<void> {
    if (!VERSION_ID.test(meta.id)) throw new Error(`not a version id: ${meta.id}`);
    await this.serial.run(fileId, async () => {
      const dir = this.dirOf(fileId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(join(dir, `${meta.id}.bin`), state, 0o600);
      const index = (await this.index(fileId)).filter((v) => v.id !== meta.id);
      index.push(meta);
      await this.writeIndex(fileId, index);
    });
  }

  async list(fileId: string): Promise<VersionMeta[]> {
    return this.index(fileId);
  }

  async read(fileId: string, id: string): Promise<Uint8Array | undefined> {
    if (!VERSION_ID.test(id)) return undefined;
    if (!(await this.index(fileId)).some((v) => v.id === id)) return undefined;
    try {
      return new Uint8Array(await readFile(join(this.dirOf(fileId), `${id}.bin`)));
    } catch {
      return undefined;
    }
  }

  async remove(fileId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const dropped = new Set(ids);
    await this.serial.run(fileId, async () => {
      const index = await this.index(fileId);
      // The index first: a version it no longer names is gone, even if its file lingers.
      await this.writeIndex(
        fileId,
        index.filter((v) => !dropped.has(v.id)),
      );
      for (const v of index) {
        if (dropped.has(v.id)) await unlink(join(this.dirOf(fileId), `${v.id}.bin`)).catch(() => {});
      }
    });
  }

  async removeAll(fileId: string): Promise<void> {
    await this.serial.run(fileId, () => rm(this.dirOf(fileId), { recursive: true, force: true }));
  }

  private dirOf(fileId: string): string {
    return join(this.stateDir, 'versions', fileId);
  }

  private async index(fileId: string): Promise<VersionMeta[]> {
    let text: string;
    try {
      text = await readFile(join(this.dirOf(fileId), 'index.json'), 'utf8');
    } catch {
      return [];
    }
    const versions = JSON.parse(text) as VersionMeta[];
    return versions.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  private async writeIndex(fileId: string, versions: VersionMeta[]): Promise<void> {
    const sorted = [...versions].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    await writeFileAtomic(join(this.dirOf(fileId), 'index.json'), JSON.stringify(sorted), 0o600);
  }
}
