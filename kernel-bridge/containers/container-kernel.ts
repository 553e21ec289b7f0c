// One kernel's container, seen from the server: `podman wait` tells when it stops (whether the
// kernel exited, crashed, or someone removed the container), its log explains why, and
// interrupts and shutdown go through podman as signals to the container's init. A warm
// container's slot (see WarmSlots) is released once the container is gone.

import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import type { BridgeLogger } from '../logger';
import type { ConnectionInfo } from '../protocol/connection-info';
import type { KernelExit, LaunchedKernel } from '../runtimes/runtime';
import type { Podman } from './podman';

const LOG_TAIL_LINES = 40;
const STDERR_TAIL_BYTES = 4096;
// How long a kernel gets after SIGTERM before podman kills it.
const STOP_GRACE_SECONDS = 2;

export interface ContainerKernelExtras {
  /** The slot (the container's name) of a container started warm. */
  slot?: string;
  /** Runs once the container is removed, before `exited` resolves. */
  gone?(): Promise<void>;
}

export class ContainerKernel implements LaunchedKernel {
  readonly id: string;
  readonly exited: Promise<KernelExit>;
  readonly slot: string | undefined;
  private hasExited = false;

  constructor(
    private readonly podman: Podman,
    readonly containerId: string,
    readonly connection: ConnectionInfo,
    private readonly connectionFile: string,
    private readonly logger: BridgeLogger,
    private readonly extras: ContainerKernelExtras = {},
  ) {
    this.slot = extras.slot;
    this.id = `container ${containerId.slice(0, 12)}`;
    this.exited = this.watch();
  }

  interrupt(): void {
    if (this.hasExited) return;
    // The init process forwards the signal to the kernel (the container's only child of it).
    void this.podman.call(['kill', '--signal', 'SIGINT', this.containerId]).then((result) => {
      if (result.code !== 0 && !this.hasExited) this.logger.warn({ kernel: this.id, output: result.lines.join('\n') }, 'could not interrupt the kernel');
    });
  }

  async kill(): Promise<void> {
    const result = await this.podman.call(['rm', '--force', '--ignore', '--time', String(STOP_GRACE_SECONDS), this.containerId], { timeoutMs: 30_000 });
    if (result.code !== 0) this.logger.warn({ kernel: this.id, output: result.lines.join('\n') }, 'could not remove the kernel container');
    await this.exited;
  }

  private async watch(): Promise<KernelExit> {
    const code = await this.waitForStop();
    this.hasExited = true;
    const logs = await this.podman.call(['logs', '--tail', String(LOG_TAIL_LINES), this.containerId], { timeoutMs: 10_000 });
    const stderrTail = logs.code === 0 ? logs.lines.join('\n').slice(-STDERR_TAIL_BYTES) : '';
    // The container is of no use once stopped; removing it frees its name, ports and storage.
    await this.podman.call(['rm', '--force', '--ignore', this.containerId], { timeoutMs: 30_000 });
    await rm(this.connectionFile, { force: true }).catch(() => {});
    await this.extras.gone?.();
    // podman reports death by a signal as 128 + the signal's number, as shells do.
    const signal = code !== null && code > 128 ? signalName(code - 128) : null;
    return { code: signal ? null : code, signal, stderrTail };
  }

  /**
   * Resolves with the container's exit code once it has stopped, or null if it is gone without
   * one. `podman wait` is a process for as long as the container runs, whatever the server does.
   */
  private waitForStop(): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawn(this.podman.command, ['wait', '--interval', '200ms', this.containerId], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.on('data', () => {});
      child.once('error', () => resolve(null));
      child.once('close', () => {
        const code = Number.parseInt(out.trim().split('\n').at(-1) ?? '', 10);
        resolve(Number.isFinite(code) ? code : null);
      });
    });
  }
}

function signalName(number: number): string {
  return Object.entries(os.constants.signals).find(([, value]) => value === number)?.[0] ?? `signal ${number}`;
}
