// An S3-compatible bucket behind VersionStore, in the filesystem store's layout as keys:
//
//   versions/{fileId}/index.json   every version's facts, newest first
//   versions/{fileId}/{id}.bin     one version's encoded state
//
// The state is written before the index names it. The index is rewritten conditionally on the
// ETag it was read with; when another writer got there first, it is read again and the change
// made again, so concurrent saves (from this process or another) are all kept.

import { KeyedSerial } from '../keyed-serial';
import { VERSION_ID, type VersionMeta, type VersionStore } from '../version-store';
import { type Bucket, StaleObjectError } from './bucket';

const INDEX_ATTEMPTS = 10;

const newestFirst = (a: VersionMeta, b: VersionMeta): number => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export class S3VersionStore implements VersionStore {
  /** Saves of one notebook in this process run one at a time: each rewrites its index whole. */
  private readonly serial = new KeyedSerial();

  constructor(private readonly bucket: Bucket) {}

  async save(fileId: string, meta: VersionMeta, state: Uint8Array): Promise<void> {
    if (!VERSION_ID.test(meta.id)) throw new Error(`not a version id: ${meta.id}`);
    await this.bucket.put(`${prefixOf(fileId)}${meta.id}.bin`, state);
    await this.updateIndex(fileId, (index) => [...index.filter((v) => v.id !== meta.id), meta]);
  }

  async list(fileId: string): Promise<VersionMeta[]> {
    return (await this.readIndex(fileId)).versions;
  }

  async read(fileId: string, id: string): Promise<Uint8Array | undefined> {
    if (!VERSION_ID.test(id)) return undefined;
    if (!(await this.list(fileId)).some((v) => v.id === id)) return undefined;
    return (await this.bucket.get(`${prefixOf(fileId)}${id}.bin`))?.body;
  }

  async remove(fileId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const dropped = new Set(ids);
    // The index first: a version it no longer names is gone, even if its object lingers.
    const before = await this.updateIndex(fileId, (index) => index.filter((v) => !dropped.has(v.id)));
    await this.bucket.delete(before.filter((v) => dropped.has(v.id)).map((v) => `${prefixOf(fileId)}${v.id}.bin`));
  }

  async removeAll(fileId: string): Promise<void> {
    await this.serial.run(fileId, async () => {
      await this.bucket.delete([`${prefixOf(fileId)}index.json`]);
      await this.bucket.delete(await this.bucket.list(prefixOf(fileId)));
    });
  }

  private async readIndex(fileId: string): Promise<{ versions: VersionMeta[]; etag: string | undefined }> {
    const object = await this.bucket.get(`${prefixOf(fileId)}index.json`);
    if (!object) return { versions: [], etag: undefined };
    const versions = JSON.parse(Buffer.from(object.body).toString('utf8')) as VersionMeta[];
    return { versions: versions.sort(newestFirst), etag: object.etag };
  }

  /** Applies a change to the index and answers the index it changed. */
  private updateIndex(fileId: string, change: (index: VersionMeta[]) => VersionMeta[]): Promise<VersionMeta[]> {
    return this.serial.run(fileId, async () => {
      for (let attempt = 1; ; attempt++) {
        const { versions, etag } = await this.readIndex(fileId);
        const next = change(versions).sort(newestFirst);
        try {
          await this.bucket.put(`${prefixOf(fileId)}index.json`, JSON.stringify(next), etag ? { ifMatch: etag } : { ifAbsent: true });
          return versions;
        } catch (error) {
          if (!(error instanceof StaleObjectError) || attempt >= INDEX_ATTEMPTS) throw error;
        }
      }
    });
  }
}

function prefixOf(fileId: string): string {
  return `versions/${fileId}/`;
}
