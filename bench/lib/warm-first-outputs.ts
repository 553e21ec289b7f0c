// First outputs of kernels taken from a warm pool of one, as a notebook's launch takes them
// (EnvironmentRuntime over the pool: claimed, adopted by the runtime, personalised, connected,
// executed). Each run waits for the pool to be full again first, so no run pays for a start.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentRuntime, type PoolTarget, WarmPool } from '../../kernel-bridge/environments';
import type { KernelRuntime } from '../../kernel-bridge/runtimes/runtime';
import { firstOutput } from './direct-kernel';

export async function warmFirstOutputs(
  base: KernelRuntime,
  target: PoolTarget,
  plan: { environmentId?: string; image?: string },
  folder: string,
  runs: number,
): Promise<number[]> {
  const pool = new WarmPool({
    size: 1,
    runtime: base,
    target: async () => target,
    idleCwd: mkdtempSync(join(tmpdir(), 'tandem-bench-pool-')),
    startTimeoutMs: 120_000,
  });
  pool.start();
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const deadline = Date.now() + 300_000;
      while (pool.status().ready < 1) {
        if (Date.now() > deadline) throw new Error('the warm pool did not fill within 5 minutes');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      let pooled = false;
      const runtime = new EnvironmentRuntime({
        base,
        pool,
        notebookId: `bench-warm-${Date.now()}-${i}`,
        plan: async () => ({ spec: target.spec, ...plan }),
        launched: (info) => {
          pooled = info.pooled;
        },
      });
      times.push(await firstOutput(runtime, folder, 120_000));
      if (!pooled) throw new Error('the run did not take the warm kernel');
    }
  } finally {
    await pool.close();
  }
  return times;
}
