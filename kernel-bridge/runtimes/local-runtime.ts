// Runs kernels as local processes on 127.0.0.1. Each kernel leads its own process group
// (detached), so an interrupt or a shutdown reaches everything it started, and a kernel can be
// killed without touching the server's own group.

import { type ChildProcess, spawn } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BridgeLogger, describeError, silentLogger } from '../logger';
import type { ConnectionInfo } from '../protocol/connection-info';
import { newConnectionInfo, writeConnectionFile } from './connection-file';
import { kernelArgv, kernelEnv } from './launch-command';
import { signalGroup, waitGroupGone } from './process-group';
import { type KernelExit, KernelLaunchError, type KernelRuntime, type LaunchedKernel, type LaunchRequest } from './runtime';

export interface LocalRuntimeOptions {
  /** Where connection files go; created 0700. */
  runtimeDir?: string;
  /** How long a kernel gets after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  logger?: BridgeLogger;
}

const STDERR_TAIL_BYTES = 4096;
// After 'exit', stderr may still hold the traceback that explains it; wait this long for it.
const STDIO_DRAIN_MS = 200;

export class LocalRuntime implements KernelRuntime {
  private readonly runtimeDir: string;
  private readonly killGraceMs: number;
  private readonly logger: BridgeLogger;

  constructor(options: LocalRuntimeOptions = {}) {
    this.runtimeDir = options.runtimeDir ?? path.join(os.tmpdir(), `tandem-kernels-${os.userInfo().uid}`);
    this.killGraceMs = options.killGraceMs ?? 3000;
    this.logger = options.logger ?? silentLogger;
  }

  async launch(request: LaunchRequest): Promise<LocalKernel> {
    const cwdStat = await stat(request.cwd).catch(() => undefined);
    if (!cwdStat?.isDirectory()) throw new KernelLaunchError(`The kernel's working directory ${request.cwd} does not exist`);

    const connection = await newConnectionInfo(request.spec.name);
    const connectionFile = await writeConnectionFile(this.runtimeDir, connection);
    const [command, ...args] = kernelArgv(request.spec, connectionFile);
    const env = { ...kernelEnv(request.spec, process.env, request.env), JPY_PARENT_PID: String(process.pid) };
    // JPY_PARENT_PID makes ipykernel exit when it is orphaned, so a server killed with -9 does
    // not leave kernels running.

    const child = spawn(command, args, { cwd: request.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      await rm(connectionFile, { force: true });
      throw new KernelLaunchError(`Could not start the kernel (${command}): ${describeError(error)}`);
    }
    return new LocalKernel(child, connection, connectionFile, this.killGraceMs, this.logger);
  }
}

export class LocalKernel implements LaunchedKernel {
  readonly pid: number;
  readonly id: string;
  readonly exited: Promise<KernelExit>;
  private stderrTail = '';
  private hasExited = false;

  constructor(
    child: ChildProcess,
    readonly connection: ConnectionInfo,
    private readonly connectionFile: string,
    private readonly killGraceMs: number,
    private readonly logger: BridgeLogger,
  ) {
    this.pid = child.pid as number;
    this.id = `pid ${this.pid}`;
    child.stdout?.on('data', (chunk: Buffer) => this.logger.debug({ kernel: this.id, text: chunk.toString() }, 'kernel stdout'));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL_BYTES);
      this.logger.debug({ kernel: this.id, text: chunk.toString() }, 'kernel stderr');
    });
    // Without listeners, an 'error' on these would be thrown by Node and end the server.
    child.stdout?.on('error', (error) => this.logger.debug({ kernel: this.id, error: error.message }, 'kernel stdout error'));
    child.stderr?.on('error', (error) => this.logger.debug({ kernel: this.id, error: error.message }, 'kernel stderr error'));
    // After a successful spawn, 'error' only reports failed kill() calls; they are not fatal.
    child.on('error', (error) => this.logger.warn({ kernel: this.id, error: error.message }, 'kernel process error'));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          clearTimeout(drained);
          // The key in the file is no use once the kernel is gone; remove it before anyone
          // waiting on `exited` (kill() among them) carries on.
          void rm(this.connectionFile, { force: true })
            .catch(() => {})
            .then(() => resolve({ code, signal, stderrTail: this.stderrTail }));
        };
        const drained = setTimeout(finish, STDIO_DRAIN_MS);
        child.once('close', finish);
      });
    });
  }

  interrupt(): void {
    if (!this.hasExited) signalGroup(this.pid, 'SIGINT');
  }

  async kill(): Promise<void> {
    // The group may outlive its leader (the kernel's own subprocesses), so it is signalled even
    // when the kernel has already exited.
    const signalled = signalGroup(this.pid, 'SIGTERM');
    // A stopped process (SIGSTOP, Ctrl-Z in a terminal it opened) only acts on SIGTERM once continued.
    if (signalled) signalGroup(this.pid, 'SIGCONT');
    if (signalled && !(await waitGroupGone(this.pid, this.killGraceMs))) {
      this.logger.warn({ kernel: this.id }, 'kernel ignored SIGTERM; sending SIGKILL');
      signalGroup(this.pid, 'SIGKILL');
      await waitGroupGone(this.pid, this.killGraceMs);
    }
    await this.exited;
  }
}
