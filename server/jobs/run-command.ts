// `tandem run NOTEBOOK [--live] [-p NAME VALUE]...`: one job, without the HTTP server, like
// papermill. Progress goes to stderr; stdout's last line is the executed notebook's path. The
// exit code is 0 when every cell ran, 1 when a cell failed, 2 for bad arguments (or a bucket
// that cannot be used), 130 when interrupted.
//
// With `--storage s3://...` the run keeps its work where a server on that bucket keeps it, through
// the same storages (storage/storage-factory.ts): the root and the state directory are filled
// from the bucket first, and afterwards the files the cells wrote, renamed or deleted (the
// kernel-files sweep) and the run record with the executed notebook are stored there.

import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { JobParameters } from '../../common/api';
import { parseParameterValue } from '../../common/parameters';
import { type Config, ConfigError, loadConfig } from '../config';
import { createEnvironmentService } from '../environments';
import { TandemError } from '../errors';
import { createLogger } from '../log';
import { InvalidNotebookError, readNotebookJSON } from '../notebook/validate';
import { createJobSql } from '../queries';
import { FileIdIndex } from '../storage/file-ids';
import { type FileMirror, isStaleWrite } from '../storage/file-mirror';
import { createStorages, type Storages } from '../storage/storage-factory';
import { FsJobStore } from './fs-job-store';
import { JobRunner } from './job-runner';
import { checkParameters } from './parameters';

export const RUN_USAGE = `Usage: tandem run NOTEBOOK [--live] [-p NAME VALUE]... [--root DIR] [--state-dir DIR] [--connections FILE]
                  [--storage s3://BUCKET/PREFIX [--s3-endpoint URL]]

Runs the whole notebook in a fresh kernel of its environment and stores the run record.
  --live          query every SQL cell again (default: reproducible, with pinned snapshots)
  -p NAME VALUE   set a parameter (the notebook's cell tagged "parameters" declares them)
  --storage URL   run a notebook kept in a bucket, as a server on it does: NOTEBOOK is its path
                  in the bucket's root (PREFIX/files/NOTEBOOK); --root and --state-dir are caches,
                  filled from the bucket first; the run record, the executed notebook and the
                  files the cells wrote or deleted are stored in the bucket
Without --root, the notebook's folder is the root (with --storage, the server's default root).
`;

interface RunArgs {
  notebook: string;
  live: boolean;
  parameters: JobParameters;
  rest: string[];
}

function parseRunArgs(argv: string[]): RunArgs {
  const rest: string[] = [];
  const parameters: JobParameters = {};
  let notebook: string | undefined;
  let live = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-p' || arg === '--parameter') {
      const name = argv[i + 1];
      const value = argv[i + 2];
      if (name === undefined || value === undefined) throw new ConfigError(`${arg} takes a name and a value: -p n 5`);
      parameters[name] = parseParameterValue(value);
      i += 2;
    } else if (arg === '--live') live = true;
    else if (arg.startsWith('-')) {
      rest.push(arg);
      // Every option of the server's but --rotate-token takes a value.
      if (!arg.includes('=') && arg !== '--rotate-token' && i + 1 < argv.length) rest.push(argv[++i]!);
    } else if (notebook === undefined) notebook = arg;
    else throw new ConfigError(`Unexpected argument "${arg}": run takes one notebook`);
  }
  if (notebook === undefined) throw new ConfigError('Name the notebook to run');
  return { notebook, live, parameters, rest };
}

/** Runs the command; resolves with the process's exit code. */
export async function runCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let args: RunArgs;
  let config: Config;
  // npm runs scripts from the package's folder; a relative path means the caller's folder.
  const cwd = env.INIT_CWD ?? process.cwd();
  try {
    args = parseRunArgs(argv);
    const given = (flag: string, variable: string) => args.rest.some((a) => a === flag || a.startsWith(`${flag}=`)) || Boolean(env[variable]);
    const notebookPath = resolve(cwd, args.notebook);
    // A notebook in a bucket may not be on this machine yet: it is named by its path in the bucket's root.
    const inBucket = given('--storage', 'TANDEM_STORAGE');
    const extra = given('--root', 'TANDEM_ROOT') || inBucket ? [] : ['--root', dirname(notebookPath)];
    config = loadConfig([...args.rest, ...extra], env, false);
    config = { ...config, warmPool: 0 };
    args.notebook = config.storage.kind === 's3' && !isAbsolute(args.notebook) ? resolve(config.root, args.notebook) : notebookPath;
  } catch (error) {
    if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${RUN_USAGE}`);
      return 2;
    }
    throw error;
  }
  const apiPath = relative(config.root, args.notebook);
  if (apiPath.startsWith('..') || isAbsolute(apiPath)) {
    process.stderr.write(`${args.notebook} is not inside the root ${config.root}\n`);
    return 2;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.logFormat);
  const bucketUrl = config.storage.kind === 's3' ? `s3://${config.storage.bucket}/${config.storage.prefix}` : undefined;
  let storages: Storages;
  try {
    // A bucket's root cache may not exist yet; without one, the root is where the notebook is.
    if (bucketUrl) mkdirSync(config.root, { recursive: true });
    // A server may be using the same bucket: the run's writes of the state's files are conditional.
    storages = await createStorages(
      config.storage,
      { root: config.root, stateDir: config.stateDir, sharedState: true },
      logger.child({ component: 'storage' }),
    );
    // With a bucket, the local folders are its caches: filled from it before anything reads them.
    await storages.state.restore();
    await storages.files.restore();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  let notebook: ReturnType<typeof readNotebookJSON>['notebook'];
  try {
    notebook = readNotebookJSON(JSON.parse(await readFile(args.notebook, 'utf8'))).notebook;
    checkParameters(notebook, args.parameters);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') process.stderr.write(`No notebook at ${bucketUrl ? `${bucketUrl}files/${apiPath}` : args.notebook}\n`);
    else if (error instanceof InvalidNotebookError || error instanceof TandemError || error instanceof SyntaxError)
      process.stderr.write(`${(error as Error).message}\n`);
    else throw error;
    return 2;
  }

  const { files, state } = storages;
  const stored = (path: string) => state.touched(path);
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const fileId = await fileIdOf(config.stateDir, state, apiPath);
  const environments = await createEnvironmentService(config, logger.child({ component: 'environments' }));
  const sql = createJobSql({ stateDir: config.stateDir, connectionsFile: config.connectionsFile, stored, log: logger.child({ component: 'queries' }) });
  const store = new FsJobStore(join(config.stateDir, 'jobs'), stored);
  const runner = new JobRunner({ environments, sql: sql.jobSql, log: logger.child({ component: 'jobs' }) });
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const user = userInfo().username;
  try {
    const id = crypto.randomUUID();
    let shownCell: string | undefined;
    const record = await runner.run(
      {
        id,
        fileId,
        path: apiPath,
        absolutePath: args.notebook,
        notebook,
        mode: args.live ? 'live' : 'reproducible',
        parameters: args.parameters,
        startedBy: { username: user, name: user, color: '#6b7280' },
        queuedAt: Date.now(),
      },
      controller.signal,
      (progress) => {
        if (progress.cellId === undefined || progress.cellId === shownCell) return;
        shownCell = progress.cellId;
        process.stderr.write(`Running cell ${progress.cellIndex}/${progress.cellCount} (${progress.cellId})\n`);
      },
    );
    await store.save(record);
    // What the cells wrote, renamed or deleted in the root, and the record, reach the bucket before the exit.
    await files.sweep();
    await state.flush();
    if (bucketUrl) process.stderr.write(`Stored in ${bucketUrl}state/jobs/${record.id}/\n`);
    if (record.failure) process.stderr.write(`Cell ${record.failure.cellIndex ?? '?'} failed: ${record.failure.ename}: ${record.failure.evalue}\n`);
    process.stderr.write(`Job ${record.id}: ${record.status} in ${((record.durationMs ?? 0) / 1000).toFixed(1)} s\n`);
    process.stdout.write(`${store.executedPath(record.id)}\n`);
    return record.status === 'ok' ? 0 : record.status === 'cancelled' ? 130 : 1;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await Promise.all([environments.close(), sql.close()]);
  }
}

/**
 * The notebook's file id, which ties the run record to the notebook's history. A new one is stored
 * at once, conditionally: an index a server on the same bucket changed meanwhile is not
 * overwritten; it is brought in (the write's refusal does that) and the id added to it.
 */
async function fileIdOf(stateDir: string, state: FileMirror, path: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const index = new FileIdIndex(stateDir);
    const known = index.idOf(path);
    if (known) return known;
    const id = index.ensure(path);
    try {
      await state.written(join(stateDir, 'file-ids.json'));
      return id;
    } catch (error) {
      if (!isStaleWrite(error) || attempt >= 3) throw error;
    }
  }
}
