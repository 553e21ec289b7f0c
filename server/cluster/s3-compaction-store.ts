// Cluster mode's compactions in the bucket (--redis with --storage s3://): the Redis stream is
// the log, S3 holds what it is folded into, as @y/hub does. Per notebook:
//
//   cluster/{fileId}/head.json                 which state is current, its fence and meta
//   cluster/{fileId}/state-{fence}-{n}.bin     a compacted state (written once)
//   cluster/{fileId}/saved.json                what was last written to the .ipynb
//
// A compaction writes its state under a new key, then switches the head to it with a
// conditional PUT (If-Match on the head just read), and only if the head's fence is not higher
// than the writer's: an owner that lost its lease while paused is refused by the head, not only
// by Redis. Reading a notebook is two GETs, never a listing.

import type { Bucket } from '../storage/s3/bucket';
import type { Compaction, CompactionMeta, CompactionStore } from './compaction-store';
import { FencedError } from './leases';

interface Head {
  fence: number;
  serial: number;
  meta: CompactionMeta;
}

const prefix = (fileId: string) => `cluster/${fileId}/`;
const headKey = (fileId: string) => `${prefix(fileId)}head.json`;
const stateKey = (fileId: string, fence: number, serial: number) =>
  `${prefix(fileId)}state-${String(fence).padStart(10, '0')}-${String(serial).padStart(10, '0')}.bin`;

function parseHead(body: Uint8Array): Head {
  const head = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<Head>;
  if (typeof head.fence !== 'number' || typeof head.serial !== 'number' || !head.meta) throw new Error('not a Tandem compaction head');
  return head as Head;
}

export class S3CompactionStore implements CompactionStore {
  constructor(private readonly bucket: Bucket) {}

  async read(fileId: string): Promise<Compaction | undefined> {
    const stored = await this.bucket.get(headKey(fileId));
    if (!stored) return undefined;
    const head = parseHead(stored.body);
    const state = await this.bucket.get(stateKey(fileId, head.fence, head.serial));
    if (!state) throw new Error(`the compacted state of notebook ${fileId} is missing from the bucket`);
    return { meta: head.meta, state: state.body, fence: head.fence };
  }

  async write(fence: number, meta: CompactionMeta, state: Uint8Array): Promise<void> {
    const { fileId } = meta;
    const stored = await this.bucket.get(headKey(fileId));
    const current = stored ? parseHead(stored.body) : undefined;
    if (current && current.fence > fence) throw new FencedError(fileId);
    const serial = (current?.serial ?? 0) + 1;
    await this.bucket.put(stateKey(fileId, fence, serial), state, { ifAbsent: true });
    const head: Head = { fence, serial, meta };
    try {
      await this.bucket.put(headKey(fileId), JSON.stringify(head), stored ? { ifMatch: stored.etag } : { ifAbsent: true });
    } catch (error) {
      await this.bucket.delete([stateKey(fileId, fence, serial)]).catch(() => {});
      // Another writer switched the head meanwhile: a newer owner, or this one's own retry.
      throw error;
    }
    if (current) await this.bucket.delete([stateKey(fileId, current.fence, current.serial)]).catch(() => {});
  }

  async savedHash(fileId: string): Promise<string | undefined> {
    const stored = await this.bucket.get(`${prefix(fileId)}saved.json`);
    return stored ? (JSON.parse(Buffer.from(stored.body).toString('utf8')) as { hash?: string }).hash : undefined;
  }

  async setSavedHash(fileId: string, hash: string): Promise<void> {
    await this.bucket.put(`${prefix(fileId)}saved.json`, JSON.stringify({ hash }));
  }

  async remove(fileId: string): Promise<void> {
    await this.bucket.delete(await this.bucket.list(prefix(fileId)));
  }
}
