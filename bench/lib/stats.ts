// Clock and summary statistics shared by every suite and by the report.

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A growable list of samples (milliseconds), cheap to append to a million times. */
export class Samples {
  private data = new Float64Array(1024);
  private n = 0;
  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = v;
  }
  get count(): number {
    return this.n;
  }
  merge(other: Samples): void {
    for (const v of other.values()) this.push(v);
  }
  values(): Float64Array {
    return this.data.subarray(0, this.n);
  }
  summary(): Summary {
    return summarize(this.values());
  }
}

export interface Summary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  if (count === 0) return { count, p50: null, p99: null, max: null, mean: null };
  // Nearest-rank percentiles: the figure is a latency some sample actually had.
  const rank = (p: number): number => sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count, p50: rank(50), p99: rank(99), max: sorted[count - 1], mean: sum / count };
}

/** The middle value (the upper one of an even count), for a handful of repetitions. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The least-squares slope of y over x: how much y grows per unit of x, through every point. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY);
    den += (p.x - meanX) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
