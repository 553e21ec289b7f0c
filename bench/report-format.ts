// How figures are written in RESULTS.md, shared by the report's sections.
import { execFileSync } from 'node:child_process';
import { REPO } from './servers/paths.js';
import type { Metric } from './suites/types.js';

export function fmt(v: number | null | undefined, unit: Metric['unit']): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (unit === 'yes/no') return v ? 'yes' : '**no**';
  if (unit === 'count' && Number.isInteger(v)) return v.toLocaleString('en-US');
  const digits = unit === 'cores' ? 2 : Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function ratio(t: number | null | undefined, p: number | null | undefined): number | null {
  if (t === null || t === undefined || p === null || p === undefined || p === 0 || Number.isNaN(t) || Number.isNaN(p)) return null;
  return t / p;
}

export const fmtRatio = (r: number | null): string => (r === null ? '–' : `${r.toFixed(2)}×`);

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
