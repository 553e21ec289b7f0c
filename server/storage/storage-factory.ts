// The one place that chooses where histories, versions and files are kept: the state directory
// and the root (the default), or an S3 bucket (`--storage s3://BUCKET/PREFIX`), with the root
// and the state directory as caches of it. Nothing else knows which. A bucket that cannot be
// reached at start-up is an error here, before the server listens.

import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { StorageConfig } from '../config';
import type { DocStorage } from './doc-storage';
import { type FileMirror, localOnly } from './file-mirror';
import { FsDocStorage } from './fs-doc-storage';
import { FsVersionStore } from './fs-version-store';
import type { Bucket } from './s3/bucket';
import type { S3FileMirror } from './s3/s3-file-mirror';
import type { VersionStore } from './version-store';

export interface Storages {
  docs: DocStorage;
  versions: VersionStore;
  /** The files of the root (the contents API's). */
  files: FileMirror;
  /** The durable parts of the state directory: file ids, share links, large outputs, query snapshots, job records. */
  state: FileMirror;
  /** The bucket, when there is one (cluster mode keeps its compactions there too). */
  bucket?: Bucket;
}

/**
 * What in the state directory is people's work, or what finds it (file ids). The rest is either
 * on the bucket by other means (histories, versions), local by nature (the write-ahead log, kernel
 * environments, locks) or a secret of this server (its token and cookie key).
 */
export const DURABLE_STATE = [
  'file-ids.json',
  'shares.json',
  'schedules.json',
  'checkpoints',
  'outputs',
  'snapshots/data',
  'snapshots/meta',
  'snapshots/index',
  'jobs',
];

/** Throttling, 5xx answers and network errors: retried with the SDK's standard backoff. */
const S3_MAX_ATTEMPTS = 5;
const S3_CONNECT_TIMEOUT_MS = 3000;
const S3_REQUEST_TIMEOUT_MS = 15_000;

export interface LocalDirs {
  root: string;
  stateDir: string;
  /**
   * Whether another process may write the state directory's files in the bucket while this one
   * runs (`tandem run` beside a server on the same bucket): its writes of them are conditional
   * too, so it never overwrites the server's file ids unseen.
   */
  sharedState?: boolean;
}

export async function createStorages(config: StorageConfig, dirs: LocalDirs, log: Logger): Promise<Storages> {
  if (config.kind === 'fs') return localStorages(dirs);
  return bucketStorages(config, dirs, log);
}

/** The filesystem: the root and the state directory are all there is. */
export function localStorages(dirs: LocalDirs): Storages {
  return { docs: new FsDocStorage(dirs.stateDir), versions: new FsVersionStore(dirs.stateDir), files: localOnly, state: localOnly };
}

/** A bucket, with the root and the state directory as its caches. */
export async function bucketStorages(
  config: Extract<StorageConfig, { kind: 's3' }>,
  dirs: LocalDirs,
  log: Logger,
): Promise<Storages & { files: S3FileMirror; state: S3FileMirror; bucket: Bucket }> {
  const { root, stateDir } = dirs;
  // The AWS SDK and the bucket's code are loaded only for a bucket: a server on local disk does
  // not hold them (they are tens of megabytes resident).
  const [{ HeadBucketCommand }, { Bucket }, { S3DocStorage }, { S3FileMirror }, { S3VersionStore }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('./s3/bucket'),
    import('./s3/s3-doc-storage'),
    import('./s3/s3-file-mirror'),
    import('./s3/s3-version-store'),
  ]);
  const client = await s3Client(config.endpoint);
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
  } catch (error) {
    client.destroy();
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const why =
      status === 404 ? 'no such bucket' : status === 403 ? 'access denied (check the credentials)' : (error as Error).message || (error as Error).name;
    throw new Error(`cannot use the bucket s3://${config.bucket}/${config.prefix}: ${why}`);
  }
  const bucket = new Bucket(client, config.bucket, config.prefix);
  const docs = new S3DocStorage({
    bucket,
    // The write-ahead log of edits not yet in the bucket: kept on local disk across restarts.
    walDir: join(stateDir, 's3-wal'),
    onShipError: (fileId, error) => log.warn({ fileId, err: error }, 'could not ship the history to the bucket; the local log keeps everything'),
  });
  const mirrorLog = log.child({ component: 'file-mirror' });
  return {
    docs,
    versions: new S3VersionStore(bucket),
    files: new S3FileMirror({ bucket, keyPrefix: 'files/', localDir: root, conditional: true, checkMs: config.checkMs, log: mirrorLog }),
    state: new S3FileMirror({
      bucket,
      keyPrefix: 'state/',
      localDir: stateDir,
      only: DURABLE_STATE,
      conditional: dirs.sharedState ?? false,
      fileMode: 0o600,
      log: mirrorLog,
    }),
    bucket,
  };
}

async function s3Client(endpoint: string | undefined): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  // A bucket that stops answering fails a request after a while instead of holding it for
  // ever, so that it is retried (and a restarted server answered) without waiting on a dead socket.
  const options = {
    endpoint,
    forcePathStyle: endpoint !== undefined,
    maxAttempts: S3_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: S3_CONNECT_TIMEOUT_MS, requestTimeout: S3_REQUEST_TIMEOUT_MS },
  };
  const client = new S3Client(options);
  try {
    await client.config.region();
    return client;
  } catch (error) {
    client.destroy();
    // S3-compatible servers mostly ignore the region, but requests must be signed with one.
    if (endpoint !== undefined) return new S3Client({ ...options, region: 'us-east-1' });
    throw new Error(`no AWS region configured (set AWS_REGION): ${(error as Error).message}`);
  }
}
