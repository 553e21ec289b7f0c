// Shows an environment build in the notebook's `kernel` map while it runs: status
// 'provisioning' with the phase, the progress and the installer's latest line. Installers print
// hundreds of lines a second at times and every write goes into the update log, so writes are
// throttled: the first at once, then the latest state at most every INTERVAL_MS.

import type { BuildProgress } from '../../kernel-bridge/environments';
import type { KernelStateWriter } from '../notebooks/kernel-state';

const INTERVAL_MS = 250;
const MAX_LINE = 300;

export class ProvisioningReporter {
  private pending: BuildProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(
    private readonly kernel: KernelStateWriter,
    private readonly environmentId: string,
  ) {}

  begin(): void {
    this.active = true;
    this.kernel.write({
      status: 'provisioning',
      message: "Preparing this notebook's environment",
      environment: this.environmentId,
      provisioning: { phase: 'Preparing', progress: 0 },
    });
  }

  update(progress: BuildProgress): void {
    if (!this.active) return;
    this.pending = progress;
    if (this.timer) return;
    this.flush();
    this.arm();
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.pending) return;
      this.flush();
      this.arm();
    }, INTERVAL_MS);
  }

  /** Ends the report: the status goes back to what the kernel session says (starting, restarting). */
  end(status: 'starting' | 'restarting' | 'dead', message: string): void {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.kernel.write({ status, message, provisioning: undefined });
  }

  private flush(): void {
    const progress = this.pending;
    this.pending = undefined;
    if (!progress) return;
    const line = progress.line && progress.line.length > MAX_LINE ? `${progress.line.slice(0, MAX_LINE)}…` : progress.line;
    this.kernel.write({ provisioning: { phase: progress.phase, progress: progress.progress, ...(line ? { line } : {}) } });
  }
}
