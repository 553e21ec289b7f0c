// Versions on S3 written by two servers at once: the index is rewritten conditionally, so
// neither server's versions are lost (the contract suite covers one store on its own).

import { expect, test } from 'vitest';
import { Bucket } from '../../server/storage/s3/bucket';
import { S3VersionStore } from '../../server/storage/s3/s3-version-store';
import type { VersionMeta } from '../../server/storage/version-store';
import { useS3Server } from '../helpers/s3-server';

const s3 = useS3Server();

const version = (id: string): VersionMeta => ({
  id,
  createdAt: new Date(0).toISOString(),
  authors: [],
  label: null,
  reason: 'auto',
  bytes: 1,
  base: null,
  depth: 0,
});

test('versions saved at once by two servers on one bucket are all kept', async () => {
  const first = new S3VersionStore(new Bucket(s3.client(), s3.bucket, 'shared/'));
  const second = new S3VersionStore(new Bucket(s3.client(), s3.bucket, 'shared/'));
  const ids = Array.from({ length: 10 }, (_, i) => `00000000${String(i).padStart(2, '0')}-aa`);
  await Promise.all(ids.map((id, i) => (i % 2 ? first : second).save('nb', version(id), Uint8Array.of(i))));
  expect((await first.list('nb')).map((v) => v.id).sort()).toEqual(ids);
  expect([...((await second.read('nb', ids[3])) ?? [])]).toEqual([3]);
});
