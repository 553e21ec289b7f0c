// Kernel figures belong to the kernel bridge (time to first output cold and warm, and the
// overhead against driving ipykernel over ZeroMQ directly; DESIGN.md section 5 has the targets).
// Until the bridge offers a way to measure them, the run reports them as pending here, so the
// table has its place. To add them: measure in this file and return metrics like any suite.
import type { SuiteResult } from './types.js';

export function kernelFigures(): SuiteResult {
  return {
    metrics: [
      { label: 'time to first output, cold kernel', unit: 'ms', value: null, better: 'lower' },
      { label: 'time to first output, warm kernel', unit: 'ms', value: null, better: 'lower' },
      { label: 'execute round trip over direct ZeroMQ', unit: 'ms', value: null, better: 'lower' },
      { label: 'overhead ratio against direct ZeroMQ', unit: 'count', value: null, better: 'lower' },
    ],
    notes: ['Pending: the kernel bridge has not landed a way to measure these yet.'],
  };
}
