// Assembles a Tandem server from its parts: storage, auth, the open notebooks, the HTTP API,
// the WebSocket transport and the browser client. `createTandem` returns a running server;
// `close` saves every open notebook and shuts everything down.

import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { loadServerToken } from './auth/server-token';
import { ShareStore } from './auth/shares';
import type { Cluster } from './cluster/cluster';
import { clusterRoutes } from './cluster/owner-routes';
import type { Config } from './config';
import { Checkpoints } from './contents/checkpoints';
import { ContentsService } from './contents/contents-service';
import { RootPaths } from './contents/paths';
import { createEnvironmentService } from './environments';
import { kernelFilesExtension } from './execution/kernel-files';
import { OutputStore } from './execution/output-store';
import { DEFAULT_OUTPUT_LIMITS } from './execution/output-writer';
import { enableRunTimings } from './execution/run-timings';
import { Authenticator, registerAuth } from './http/auth';
import { DEFAULT_BODY_LIMIT } from './http/body-limits';
import { registerClient } from './http/client';
import { handleError } from './http/errors';
import { registerJsonBodies } from './http/json-body';
import { collaborationRoutes } from './http/routes/collaboration';
import { contentsRoutes } from './http/routes/contents';
import { environmentRoutes } from './http/routes/environments';
import { executionRoutes } from './http/routes/execution';
import { jobRoutes } from './http/routes/jobs';
import { jupyterKernelRoutes } from './http/routes/jupyter-kernels';
import { jupyterServerRoutes } from './http/routes/jupyter-server';
import { kernelspecRoutes } from './http/routes/kernelspecs';
import { meRoutes } from './http/routes/me';
import { queryRoutes } from './http/routes/queries';
import { reportRoutes } from './http/routes/reports';
import { scheduleRoutes } from './http/routes/schedules';
import { shareRoutes } from './http/routes/shares';
import { statusRoutes } from './http/routes/status';
import { versionRoutes } from './http/routes/versions';
import { FsJobStore } from './jobs/fs-job-store';
import { JobsExtension } from './jobs/job-board';
import { JobRunner } from './jobs/job-runner';
import { JobService } from './jobs/job-service';
import { Scheduler } from './jobs/scheduler';
import { createJupyterApi, notebookChannelsExtension } from './jupyter';
import { redactUrl } from './log';
import { OpenNotebooks } from './notebooks/open-notebooks';
import { localRooms } from './notebooks/room-host';
import { projectPath } from './project-files';
import { createSqlQueries } from './queries';
import { flushHeldChanges } from './rooms/room';
import { FileIdIndex } from './storage/file-ids';
import type { FileMirror } from './storage/file-mirror';
import { createStorages } from './storage/storage-factory';
import { chooseKernelProtocol, registerKernelChannelsTransport } from './transport/kernel-channels-socket';
import { SendBudget } from './transport/send-budget';
import { registerWebSocketTransport } from './transport/websocket';
import { versionsExtension } from './versions/versions-extension';

export interface Tandem {
  app: FastifyInstance;
  notebooks: OpenNotebooks;
  fileIds: FileIdIndex;
  host: string;
  port: number;
  token: string;
  /** The sign-in URL, token included. */
  url: string;
  close(): Promise<void>;
}

/**
 * The secret that signs login cookies, made once per state directory. Replicas of a cluster
 * starting together on one state directory must agree on it: the first to link its file in
 * place wins, and every other reads that one.
 */
function cookieSecret(stateDir: string): string {
  const file = join(stateDir, 'cookie-secret');
  if (!existsSync(file)) {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, randomBytes(32).toString('hex'), { mode: 0o600 });
    try {
      linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temp, { force: true });
    }
  }
  return readFileSync(file, 'utf8').trim();
}

async function listen(app: FastifyInstance, config: Config): Promise<number> {
  // Like Jupyter, the default port moves on to the next free one; a chosen port does not.
  const attempts = config.portExplicit || config.port === 0 ? 1 : 50;
  for (let i = 0; ; i++) {
    try {
      await app.listen({ host: config.host, port: config.port + i });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : config.port + i;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i + 1 >= attempts) throw error;
    }
  }
}

/** A new root (with nothing in its bucket) gets a notebook to start from, so the first visit is not an empty folder. */
async function seedRoot(root: string, files: FileMirror): Promise<void> {
  if (readdirSync(root).some((name) => !name.startsWith('.'))) return;
  const welcome = join(root, 'Welcome.ipynb');
  copyFileSync(projectPath('server', 'assets', 'Welcome.ipynb'), welcome);
  await files.written(welcome);
}

export async function createTandem(config: Config, logger: Logger): Promise<Tandem> {
  const freshRoot = !existsSync(config.root);
  mkdirSync(config.root, { recursive: true });
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const serverToken = loadServerToken(config.stateDir, { given: config.token, rotate: config.rotateToken });
  const token = serverToken.token;
  const {
    docs: storage,
    versions: versionStore,
    files,
    state,
    bucket,
  } = await createStorages(config.storage, { root: config.root, stateDir: config.stateDir }, logger.child({ component: 'storage' }));
  // With a bucket, the local folders are caches: filled from it before anything reads them.
  await state.restore();
  await files.restore();
  if (freshRoot) await seedRoot(config.root, files);
  const paths = new RootPaths(config.root);
  const stored = (path: string) => state.touched(path);
  // The index that ties files to their histories, and share links, are stored at once: a
  // history is in the bucket from its first moment, and must be found from its file.
  const storedNow = (path: string) =>
    void state.written(path).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not store an index in the bucket; trying again soon');
      state.touched(path);
    });
  const fileIds = new FileIdIndex(config.stateDir, storedNow);
  const shares = new ShareStore(config.stateDir, storedNow);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Routes that take whole files raise this for themselves (http/body-limits.ts).
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Per-request lines are logged at debug level, with tokens masked (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    // A job parameter is a string, number, boolean or null: a union type, which type coercion
    // handles per value (an anyOf would coerce 0 to null in its first branch).
    ajv: { customOptions: { allowUnionTypes: true } },
  });
  app.setErrorHandler(handleError);
  registerJsonBodies(app);
  // A room's server changes go out at the end of the event loop's turn; a reply must not
  // overtake them (the run it queued, the restart it made, are in the document first).
  app.addHook('onSend', async (_request, _reply, payload) => {
    flushHeldChanges();
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: redactUrl(request.url), status: reply.statusCode }, 'request');
  });
  await app.register(fastifyCookie, { secret: cookieSecret(config.stateDir) });
  const auth = new Authenticator({ serverToken: token, isFormerToken: serverToken.isFormer, shares, allowOrigins: config.allowOrigins });
  registerAuth(app, auth);

  if (config.runTimingsFile) enableRunTimings(config.runTimingsFile);
  const outputs = new OutputStore(join(config.stateDir, 'outputs'), stored, (dir) => {
    void state.removed(dir).catch((error: unknown) => logger.warn({ err: error }, "could not drop a deleted notebook's outputs from the bucket"));
  });
  // SQL cells: connections, the snapshot store, and the extension every notebook's runs go through.
  const queries = createSqlQueries({ stateDir: config.stateDir, connectionsFile: config.connectionsFile, stored, log: logger.child({ component: 'queries' }) });
  const environments = await createEnvironmentService(config, logger.child({ component: 'environments' }));
  const jupyterChannels = notebookChannelsExtension(logger.child({ component: 'jupyter-api' }));
  const versions = versionsExtension(
    versionStore,
    { pauseMs: config.versionPauseMs, intervalMs: config.versionIntervalMs, retention: { keepAllDays: config.versionKeepDays } },
    logger.child({ component: 'versions' }),
  );
  const jobBoards = new JobsExtension();
  let cluster: Cluster | undefined;
  if (config.redisUrl) {
    // Cluster mode's code, and the Redis client with it, is loaded only when it is on.
    const [{ Cluster }, { S3CompactionStore }] = await Promise.all([import('./cluster/cluster'), import('./cluster/s3-compaction-store')]);
    cluster = new Cluster({
      redisUrl: config.redisUrl,
      stateDir: config.stateDir,
      storage,
      compactions: bucket ? new S3CompactionStore(bucket) : undefined,
      leaseMs: config.leaseMs,
      token,
      roomGraceMs: config.roomGraceMs,
      log: logger.child({ component: 'cluster' }),
    });
  }
  await cluster?.connect();
  const notebooks = new OpenNotebooks({
    paths,
    fileIds,
    storage,
    stateDir: config.stateDir,
    services: {
      environments,
      outputs,
      limits: DEFAULT_OUTPUT_LIMITS,
      extensions: [queries.sqlCells, jupyterChannels, versions, jobBoards, kernelFilesExtension(files, logger.child({ component: 'file-mirror' }))],
      log: logger,
      saveDelayMs: config.saveDelayMs,
      saveMaxDelayMs: config.saveMaxDelayMs,
      compactBytes: config.compactBytes,
      files,
      fileCheckMs: config.storage.kind === 's3' ? config.storage.checkMs : 0,
      lostKernel: cluster ? 'The kernel was lost with the server that ran it; a run starts a new one' : undefined,
    },
    graceMs: config.roomGraceMs,
    watchIntervalMs: config.watchIntervalMs,
    cullIdleMs: config.cullIdleMs,
    ownership: cluster,
  });
  cluster?.serve(notebooks);
  const rooms = cluster ?? localRooms(notebooks);
  const jobStore = new FsJobStore(join(config.stateDir, 'jobs'), stored);
  const jobs = new JobService({
    runner: new JobRunner({ environments, sql: queries.jobSql, log: logger.child({ component: 'jobs' }) }),
    store: jobStore,
    notebooks,
    rooms,
    fileIds,
    paths,
    boards: jobBoards,
    shares,
    maxRunning: config.maxJobs,
    log: logger.child({ component: 'jobs' }),
  });
  const scheduler = new Scheduler({
    jobs,
    store: jobStore,
    fileIds,
    root: config.root,
    stateDir: config.stateDir,
    stored,
    clock: config.schedulerClock,
    active: cluster ? () => cluster.runsSchedules : undefined,
    log: logger.child({ component: 'scheduler' }),
  });
  jobBoards.scheduleChanged = (fileId, schedule) => scheduler.set(fileId, schedule);
  const contents = new ContentsService(paths, fileIds, notebooks, files, logger);
  // One budget for room and kernel sockets alike: memory is memory.
  const sendBudget = new SendBudget(config.sendBudgetBytes, config.maxBufferedBytes);
  const transport = await registerWebSocketTransport(app, {
    auth,
    rooms,
    maxMessageBytes: config.maxMessageBytes,
    budget: sendBudget,
    maxSocketsPerLink: config.maxSocketsPerLink,
    maxSocketsPerAddress: config.maxSocketsPerAddress,
    pingIntervalMs: config.pingIntervalMs,
    handleProtocols: chooseKernelProtocol,
  });
  // The Jupyter Server kernel API, on the same shared kernels.
  const jupyter = createJupyterApi({
    channels: jupyterChannels,
    notebooks,
    fileIds,
    paths,
    root: config.root,
    defaultKernel: config.defaultKernel,
    cullIdleMs: config.cullIdleMs,
    log: logger.child({ component: 'jupyter-api' }),
  });
  const kernelChannels = registerKernelChannelsTransport(app, { auth, jupyter, budget: sendBudget });
  if (cluster) clusterRoutes(app, cluster, { fileIds, paths, jupyter, jobs });
  const startedAt = new Date();
  statusRoutes(app, {
    startedAt,
    rooms: () => notebooks.size,
    connections: () => transport.connectionCount(),
    kernels: () => notebooks.kernelCount,
  });
  meRoutes(app, auth, fileIds);
  shareRoutes(app, {
    shares,
    paths,
    fileIds,
    onRevoked: (share) => {
      transport.closeShare(share.id);
      kernelChannels.closeShare(share.id);
    },
  });
  contentsRoutes(app, {
    contents,
    paths,
    fileIds,
    shares,
    checkpoints: new Checkpoints({
      dir: join(config.stateDir, 'checkpoints'),
      paths,
      fileIds,
      contents,
      flush: async (fileId) => notebooks.get(fileId)?.file.flush(),
      state,
    }),
    onSharesRemoved: (removed) => {
      for (const share of removed) {
        transport.closeShare(share.id);
        kernelChannels.closeShare(share.id);
      }
    },
  });
  collaborationRoutes(app, {
    paths,
    fileIds,
    rooms,
    onEditorOpened: (fileId) => {
      // In a cluster only the owner starts kernels; a relaying replica leaves it to the owner.
      if (cluster && !notebooks.get(fileId)) return;
      notebooks
        .with(fileId, (notebook) => notebook.editorOpened(config.kernelPrestart))
        .catch((error: unknown) => logger.warn({ fileId, err: error }, 'could not prestart the kernel'));
    },
  });
  executionRoutes(app, { notebooks, outputs });
  jobRoutes(app, { jobs });
  reportRoutes(app, { jobs, scheduler });
  scheduleRoutes(app, { scheduler, notebooks, shares, manualClock: config.schedulerClock === 'manual' });
  kernelspecRoutes(app, config.defaultKernel);
  jupyterKernelRoutes(app, jupyter);
  jupyterServerRoutes(app);
  environmentRoutes(app, { environments, notebooks, fileIds, paths });
  queryRoutes(app, { store: queries.store, sqlCells: queries.sqlCells, notebooks });
  versionRoutes(app, { notebooks, versions });
  await registerClient(app);

  // Leftover kernel containers of an earlier run go before anyone can start a kernel.
  await environments.start();
  const port = await listen(app, config);
  const listenHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : config.host.includes(':') ? `[${config.host}]` : config.host;
  await cluster?.start(config.advertiseUrl ?? `http://${listenHost}:${port}`);
  await scheduler.start();
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/?token=${token}`;
  let closing: Promise<void> | undefined;
  return {
    app,
    notebooks,
    fileIds,
    host: config.host,
    port,
    token,
    url,
    close: () => {
      closing ??= (async () => {
        // Builds are stopped at once: a kernel waiting for one would otherwise hold shutdown up.
        // Running jobs end first (as cancelled, with their records), while environments still exist.
        await Promise.all([scheduler.close(), jobs.close()]);
        await cluster?.adoptOrphans();
        await Promise.all([notebooks.closeAll(), environments.close(), jupyter.close()]);
        // What kernels wrote last, and Tandem's own files touched last, reach the bucket before the exit.
        await files.sweep();
        await state.flush();
        await cluster?.close();
        transport.close();
        kernelChannels.close();
        await app.close();
      })();
      return closing;
    },
  };
}
