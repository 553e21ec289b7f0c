// The contract between the orchestrator and a suite run in a load process.
import type { ServerInfo } from '../servers/types.js';

export type Unit = 'ms' | 'MB' | 'KB' | 'per s' | 'cores' | 'count' | 'yes/no' | '%';

export interface Metric {
  /** Row name in RESULTS.md. */
  label: string;
  unit: Unit;
  value: number | null;
  /** Which way is better, for ratios; 'none' rows get no ratio. */
  better: 'lower' | 'higher' | 'none';
}

export interface SuiteResult {
  metrics: Metric[];
  /** Anything a reader needs to trust or interpret the figures (timeouts, losses). */
  notes: string[];
}

export interface SuiteTask<P> {
  server: ServerInfo;
  params: P;
  /** Connections opened at once while clients join. */
  connectBatch: number;
  workDir: string;
  /** Which of the job's targets this load process measures: its column in RESULTS.md. */
  target: string;
}

/**
 * The task of a job whose targets include some with no server (the kernel driven directly,
 * an installer run by hand): the load process then measures the thing itself.
 */
export type TargetTask<P> = Omit<SuiteTask<P>, 'server'> & { server: ServerInfo | null };

export type Suite<P> = (task: SuiteTask<P>) => Promise<SuiteResult>;
