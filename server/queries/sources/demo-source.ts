// The embedded demo database as a query source: starts the demo database process on first
// use, streams each query's rows from it batch by batch, and cancels by asking the process to
// stop, or by ending it when a query keeps its thread busy. It is stopped after a while unused,
// since Postgres in WebAssembly holds a few hundred MB.

import { type ChildProcess, fork } from 'node:child_process';
import { projectPath, RUNNING_FROM_BUNDLE } from '../../project-files';
import type { DemoEvent, DemoRequest } from './demo-protocol';
import { QueryCancelled, QueryFailed, type QuerySink, type QuerySource } from './source';

// The bundle has the process as an entry of its own; from sources it runs under the same tsx
// loader as the server (fork passes the server's own node options on).
const PROCESS_FILE = RUNNING_FROM_BUNDLE
  ? projectPath('dist', 'server', 'queries', 'sources', 'demo-db-process.mjs')
  : projectPath('server', 'queries', 'sources', 'demo-db-process.ts');
const IDLE_STOP_MS = 10 * 60_000;
/** How long a cancelled query may take to stop between batches before its process is ended. */
const STOP_GRACE_MS = 300;

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

interface Running {
  child: ChildProcess;
  ready: Promise<void>;
  firstTime: boolean;
}

export class DemoSource implements QuerySource {
  private running: Running | undefined;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  async run(sql: string, sink: QuerySink, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new QueryCancelled();
    clearTimeout(this.idle);
    const running = this.start();
    sink.phase('connecting', running.firstTime ? 'Starting the demo database for the first time; this takes a little while' : undefined);
    await Promise.race([running.ready, aborted(signal)]);
    try {
      await this.query(running.child, sql, sink, signal);
    } finally {
      this.idle = setTimeout(() => void this.close(), IDLE_STOP_MS);
      this.idle.unref();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.idle);
    const running = this.running;
    this.running = undefined;
    if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
    send(running.child, { op: 'close' });
    const timer = setTimeout(() => running.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  private start(): Running {
    if (this.running && this.running.child.exitCode === null && this.running.child.signalCode === null) return this.running;
    const child = fork(PROCESS_FILE, [this.dataDir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const running: Running = { child, firstTime: false, ready: Promise.resolve() };
    running.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (event: DemoEvent) => {
        if (event.ev === 'starting') running.firstTime = event.firstTime;
        if (event.ev === 'ready') {
          child.off('message', onMessage);
          resolve();
        }
        if (event.ev === 'fatal') reject(new QueryFailed(`The demo database could not start: ${event.message}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code, sig) => {
        if (this.running?.child === child) this.running = undefined;
        reject(new QueryFailed(`The demo database could not start (exit ${code ?? sig}): ${stderr.trim().split('\n').at(-1) ?? ''}`));
      });
    });
    running.ready.catch(() => undefined);
    this.running = running;
    this.log.info({ pid: child.pid }, 'starting the demo database');
    return running;
  }

  private query(child: ChildProcess, sql: string, sink: QuerySink, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let killTimer: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        if (error) reject(error);
        else resolve();
      };
      const onMessage = (event: DemoEvent) => {
        switch (event.ev) {
          case 'columns':
            sink.columns(event.fields);
            sink.phase('fetching');
            return;
          case 'rows':
            sink.rows(event.rows).then(
              () => send(child, { op: signal.aborted ? 'stop' : 'more' }),
              (error: unknown) => {
                send(child, { op: 'stop' });
                finish(error as Error);
              },
            );
            return;
          case 'done':
            return finish();
          case 'error':
            return finish(new QueryFailed(event.message));
          case 'cancelled':
            return finish(new QueryCancelled());
        }
      };
      const onExit = () => finish(signal.aborted ? new QueryCancelled() : new QueryFailed('The demo database stopped unexpectedly'));
      const onAbort = () => {
        send(child, { op: 'stop' });
        // Still busy inside a statement (pg_sleep, a huge sort): end the process; the next
        // query starts a new one.
        killTimer = setTimeout(() => {
          this.log.warn({ pid: child.pid }, 'ending the demo database to cancel a query');
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      sink.phase('running');
      send(child, { op: 'query', sql });
    });
  }
}

function send(child: ChildProcess, request: DemoRequest): void {
  if (child.connected) child.send(request);
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new QueryCancelled()), { once: true }));
}
