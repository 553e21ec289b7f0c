// A private S3-compatible server for tests: versitygw (built once per machine by
// images/s3-server/build.sh) on loopback, on a free port, with its own temporary data and
// versioning directories and one bucket. stop() ends it with SIGTERM and removes everything.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './ports';

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A new client for this server; `onRequest` is called once per operation sent. */
  client(onRequest?: (operation: string) => void): S3Client;
  /** The keys in the bucket under a prefix (the first thousand). */
  keysUnder(prefix: string): Promise<string[]>;
  /** What another tool (aws s3 cp, a pipeline) does: a plain PUT. Answers the new ETag. */
  putObject(key: string, body: string): Promise<string>;
  /** An object's text and ETag, read as another tool would. */
  getObject(key: string): Promise<{ text: string; etag: string }>;
  /** SIGSTOP: the server keeps its socket but answers nothing, like a bucket out of reach. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  stop(): Promise<void>;
}

const BUILD_SCRIPT = resolve(import.meta.dirname, '../../images/s3-server/build.sh');

function binary(): string {
  const path = execFileSync(BUILD_SCRIPT, ['--path']).toString().trim();
  if (!existsSync(path)) throw new Error(`versitygw is not built: run ${BUILD_SCRIPT} first (about 3 minutes, once)`);
  return path;
}

export async function startS3Server(): Promise<S3Server> {
  const bin = binary();
  const dir = mkdtempSync(join(tmpdir(), 'tandem-s3-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'versions'));
  const port = await freePort();
  const accessKeyId = 'tandemtest';
  const secretAccessKey = `secret-${Math.random().toString(36).slice(2)}`;
  const child: ChildProcess = spawn(bin, ['--port', `127.0.0.1:${port}`, '--quiet', 'posix', '--versioning-dir', join(dir, 'versions'), join(dir, 'data')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = (onRequest?: (operation: string) => void): S3Client => {
    const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
    if (onRequest) {
      s3.middlewareStack.add(
        (next, context) => (args) => {
          onRequest(context.commandName ?? 'unknown');
          return next(args);
        },
        { step: 'initialize', name: 'countRequests' },
      );
    }
    return s3;
  };
  const bucket = 'tandem-test';
  const admin = client();
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`versitygw did not start: ${(error as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  admin.destroy();
  // One client per call: a test's calls are few, and no client outlives the server.
  const withClient = async <T>(use: (s3: S3Client) => Promise<T>): Promise<T> => {
    const s3 = client();
    try {
      return await use(s3);
    } finally {
      s3.destroy();
    }
  };
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    client,
    keysUnder: (prefix) =>
      withClient(async (s3) => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key ?? '')),
    putObject: (key, body) => withClient(async (s3) => (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag!),
    getObject: (key) =>
      withClient(async (s3) => {
        const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return { text: await answer.Body!.transformToString(), etag: answer.ETag! };
      }),
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      child.kill('SIGCONT');
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One S3 server for a test file, started before its tests and stopped after them. The object
 * stands for it from the start, so that tests read `s3.endpoint` as they would a started one.
 */
export function useS3Server(): S3Server {
  let server: S3Server | undefined;
  beforeAll(async () => {
    server = await startS3Server();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const current = (): S3Server => {
    if (!server) throw new Error('the S3 server starts before the tests: use it inside them');
    return server;
  };
  return {
    get endpoint() {
      return current().endpoint;
    },
    get bucket() {
      return current().bucket;
    },
    get accessKeyId() {
      return current().accessKeyId;
    },
    get secretAccessKey() {
      return current().secretAccessKey;
    },
    client: (onRequest) => current().client(onRequest),
    keysUnder: (prefix) => current().keysUnder(prefix),
    putObject: (key, body) => current().putObject(key, body),
    getObject: (key) => current().getObject(key),
    pause: () => current().pause(),
    resume: () => current().resume(),
    stop: () => current().stop(),
  };
}
