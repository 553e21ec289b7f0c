// `tandem copy --to s3://BUCKET/PREFIX` and `tandem copy --from s3://BUCKET/PREFIX`: moves a
// team's work between a root with its state directory and a bucket, in the layout a server
// with `--storage` uses, so that a team that started on one machine moves to the cloud (or
// back) without losing anything. The exit code is 0 when everything was copied, 2 for bad
// arguments, 1 when the copy failed.

import { mkdirSync } from 'node:fs';
import { type Config, ConfigError, loadConfig } from '../config';
import { createLogger } from '../log';
import { copyHistories, copyVersions } from './copy-storage';
import { FileIdIndex } from './file-ids';
import { bucketStorages, localStorages } from './storage-factory';

export const COPY_USAGE = `Usage: tandem copy --to s3://BUCKET/PREFIX [--root DIR] [--state-dir DIR] [--s3-endpoint URL]
       tandem copy --from s3://BUCKET/PREFIX [--root DIR] [--state-dir DIR] [--s3-endpoint URL]

Copies the root's files, every notebook's history and versions, file ids, share links,
schedules, checkpoints, large outputs, query snapshots and job records into the bucket (--to),
or from it into the root and state directory (--from), as a server with --storage keeps them.
What is copied replaces what is there; nothing is deleted. Stop the servers on both sides first.
Credentials and region come from the AWS SDK's chain (AWS_ACCESS_KEY_ID, AWS_REGION, ...).
`;

export async function copyCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: Config;
  let direction: 'to' | 'from';
  try {
    const rest: string[] = [];
    let url: string | undefined;
    let found: 'to' | 'from' | undefined;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const match = /^--(to|from)(?:=(.*))?$/.exec(arg);
      if (!match) {
        rest.push(arg);
        continue;
      }
      if (found) throw new ConfigError('Give one of --to or --from, once');
      found = match[1] as 'to' | 'from';
      url = match[2] ?? argv[++i];
    }
    if (!found || !url) throw new ConfigError('Give --to s3://BUCKET/PREFIX or --from s3://BUCKET/PREFIX');
    direction = found;
    config = loadConfig([...rest, '--storage', url], env, false);
  } catch (error) {
    if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${COPY_USAGE}`);
      return 2;
    }
    throw error;
  }
  const storage = config.storage;
  if (storage.kind !== 's3') throw new Error('unreachable: --storage was given');
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.logFormat);
  const dirs = { root: config.root, stateDir: config.stateDir };
  mkdirSync(dirs.root, { recursive: true });
  mkdirSync(dirs.stateDir, { recursive: true, mode: 0o700 });
  const place = `s3://${storage.bucket}/${storage.prefix}`;
  try {
    const bucket = await bucketStorages(storage, dirs, logger);
    const local = localStorages(dirs);
    try {
      const [source, target] = direction === 'to' ? [local, bucket] : [bucket, local];
      const files = direction === 'to' ? await bucket.files.pushAll() : await bucket.files.pullAll();
      const stateFiles = direction === 'to' ? await bucket.state.pushAll() : await bucket.state.pullAll();
      const histories = await copyHistories(source.docs, target.docs);
      // Versions are kept by fileId: every notebook that has a history or an id may have some.
      const fileIds = new Set([...(await source.docs.list()), ...new FileIdIndex(dirs.stateDir).idsUnder('')]);
      const versions = await copyVersions(source.versions, target.versions, fileIds);
      const where = direction === 'to' ? `from ${dirs.root} to ${place}` : `from ${place} to ${dirs.root}`;
      process.stdout.write(`Copied ${files} files, ${stateFiles} state files, ${histories} histories and ${versions} versions ${where}\n`);
      return 0;
    } finally {
      bucket.bucket.client.destroy();
    }
  } catch (error) {
    process.stderr.write(`tandem copy failed: ${(error as Error).message}\n`);
    return 1;
  }
}
