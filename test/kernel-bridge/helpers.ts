// Shared test fixtures: real python3 kernels started through the real LocalRuntime, with every
// launched kernel recorded so that tests can check its process and clean it up.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findKernelSpec } from '../../kernel-bridge/kernelspec/discovery';
import type { KernelSpec } from '../../kernel-bridge/kernelspec/kernelspec';
import type { BridgeLogger } from '../../kernel-bridge/logger';
import { type LocalKernel, LocalRuntime } from '../../kernel-bridge/runtimes/local-runtime';
import type { KernelRuntime, LaunchRequest } from '../../kernel-bridge/runtimes/runtime';
import type { RunFinishedEvent, RunOutputEvent, SessionEvents } from '../../kernel-bridge/session/events';
import { KernelSession, type KernelSessionOptions } from '../../kernel-bridge/session/kernel-session';

export async function python3Spec(): Promise<KernelSpec> {
  const spec = await findKernelSpec('python3');
  if (!spec) throw new Error('Debian python3-ipykernel kernelspec not found');
  return spec;
}

/** A LocalRuntime that remembers every kernel it launched. */
export class RecordingRuntime implements KernelRuntime {
  readonly launched: LocalKernel[] = [];
  private readonly local: LocalRuntime;

  constructor(runtimeDir: string) {
    this.local = new LocalRuntime({ runtimeDir, killGraceMs: 2000 });
  }

  async launch(request: LaunchRequest): Promise<LocalKernel> {
    const kernel = await this.local.launch(request);
    this.launched.push(kernel);
    return kernel;
  }
}

/** Records a session's events and waits for them. */
export class EventLog {
  readonly events: { [K in keyof SessionEvents]: SessionEvents[K][0][] } = {
    message: [],
    status: [],
    runStarted: [],
    output: [],
    inputRequested: [],
    runFinished: [],
  };

  constructor(
    readonly session: KernelSession,
    readonly logger?: ReturnType<typeof recordingLogger>,
  ) {
    for (const name of Object.keys(this.events) as (keyof SessionEvents)[]) {
      session.on(name, ((event: unknown) => {
        (this.events[name] as unknown[]).push(event);
      }) as never);
    }
  }

  /** What happened so far, to explain a timeout. */
  history(): string {
    const events = Object.entries(this.events).flatMap(([name, list]) => list.map((event) => `${name} ${JSON.stringify(event).slice(0, 200)}`));
    const logs = (this.logger?.lines ?? [])
      .filter((line) => line.level !== 'debug')
      .map((line) => `${line.level} ${line.message} ${JSON.stringify(line.fields).slice(0, 300)}`);
    return [...events, ...logs].join('\n');
  }

  outputsOf(runId: string): RunOutputEvent[] {
    return this.events.output.filter((event) => event.runId === runId);
  }

  stdoutOf(runId: string): string {
    return this.outputsOf(runId)
      .map((event) => (event.msgType === 'stream' && event.content.name === 'stdout' ? event.content.text : ''))
      .join('');
  }

  finished(runId: string, timeoutMs = 30_000): Promise<RunFinishedEvent> {
    return this.waitFor('runFinished', (event) => event.runId === runId, timeoutMs);
  }

  waitFor<K extends keyof SessionEvents>(name: K, match: (event: SessionEvents[K][0]) => boolean, timeoutMs = 30_000): Promise<SessionEvents[K][0]> {
    const seen = (this.events[name] as SessionEvents[K][0][]).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.session.off(name, listener as never);
        reject(new Error(`no ${name} event matched within ${timeoutMs} ms\n${this.history()}`));
      }, timeoutMs);
      const listener = (event: SessionEvents[K][0]): void => {
        if (!match(event)) return;
        clearTimeout(timer);
        this.session.off(name, listener as never);
        resolve(event);
      };
      this.session.on(name, listener as never);
    });
  }
}

/** Creates sessions in a temporary notebook directory and shuts them all down in cleanup(). */
export class KernelFixture {
  readonly sessions: KernelSession[] = [];
  runtime!: RecordingRuntime;
  dir!: string;

  async setup(): Promise<void> {
    this.dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-kb-test-'));
    this.runtime = new RecordingRuntime(path.join(this.dir, '.runtime'));
  }

  async session(options: Partial<KernelSessionOptions> = {}): Promise<{ session: KernelSession; log: EventLog }> {
    const logger = recordingLogger();
    const session = new KernelSession({ spec: await python3Spec(), cwd: this.dir, runtime: this.runtime, logger, ...options });
    this.sessions.push(session);
    return { session, log: new EventLog(session, logger) };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.sessions.splice(0).map((session) => session.shutdown()));
    await Promise.all(this.runtime.launched.map((kernel) => kernel.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** True while any process is left in the process group. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A logger that keeps what it is told, to check that bad input is reported. */
export function recordingLogger(): BridgeLogger & { lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
