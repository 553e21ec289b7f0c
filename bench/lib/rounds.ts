// Figures of a job measured in several rounds (columns alternated, each a fresh server): one
// result per column, each figure the median of its rounds, so that a burst of other work on a
// shared machine during one round moves it less.
import type { DriverOutput } from '../driver.js';
import type { Metric } from '../suites/types.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function medianOfRounds(outputs: DriverOutput[]): DriverOutput {
  if (outputs.length === 1) return outputs[0];
  const ok = outputs.flatMap((o) => (o.ok ? [o.result] : []));
  if (ok.length === 0) return outputs[0];
  const notes: string[] = [];
  outputs.forEach((o, i) => {
    if (!o.ok) notes.push(`Round ${i + 1} of ${outputs.length} did not complete (${o.error.split('\n')[0]}); the figures are the other rounds'.`);
    else for (const n of o.result.notes) notes.push(`Round ${i + 1}: ${n}`);
  });
  const metrics: Metric[] = ok[0].metrics.map((m) => {
    const values = ok.map((r) => r.metrics.find((x) => x.label === m.label)?.value).filter((v): v is number => typeof v === 'number');
    if (values.length === 0) return { ...m, value: null };
    // A yes/no holds only if it held in every round.
    return { ...m, value: m.unit === 'yes/no' ? Math.min(...values) : median(values) };
  });
  return { ok: true, result: { metrics, notes } };
}
