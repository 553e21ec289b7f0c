// SQL cells and the snapshot store, assembled for the server: connections from the config,
// snapshots under the state directory, and the SQL-cell extension every notebook gets.

import { join } from 'node:path';
import { loadConnections } from './connections';
import { JobSqlCells } from './job-sql-cells';
import { RunStatusFiles } from './kernel-handoff';
import { QueryRunner } from './query-runner';
import { FsSnapshotStore } from './snapshots/fs-snapshot-store';
import type { SnapshotStore } from './snapshots/snapshot-store';
import { SourceRegistry } from './sources/source-registry';
import { SqlCells } from './sql-cells';

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SqlQueries {
  sqlCells: SqlCells;
  store: SnapshotStore;
  /** SQL cells in headless jobs, on the same connections and store. */
  jobSql: JobSqlCells;
}

export function createSqlQueries(options: {
  stateDir: string;
  connectionsFile: string | undefined;
  /** Told after every write of a snapshot's files (to store them beyond this machine). */
  stored?: (path: string) => void;
  log: Logger;
}): SqlQueries {
  const connections = loadConnections(options.connectionsFile);
  const store = new FsSnapshotStore(join(options.stateDir, 'snapshots'), options.stored);
  const sources = new SourceRegistry(options.stateDir, options.log);
  const runner = new QueryRunner(store, sources);
  const statusFiles = new RunStatusFiles(join(options.stateDir, 'query-runs'));
  const sqlCells = new SqlCells({ connections, runner, store, statusFiles, sources, log: options.log });
  return { sqlCells, store, jobSql: new JobSqlCells({ connections, runner, store }) };
}

/** SQL cells for jobs run outside a server (`tandem run`): the same connections and snapshot store, and nothing of the interactive queue. */
export function createJobSql(options: {
  stateDir: string;
  connectionsFile: string | undefined;
  /** Told after every write of a snapshot's files (to store them beyond this machine). */
  stored?: (path: string) => void;
  log: Logger;
}): { jobSql: JobSqlCells; close(): Promise<void> } {
  const connections = loadConnections(options.connectionsFile);
  const store = new FsSnapshotStore(join(options.stateDir, 'snapshots'), options.stored);
  const sources = new SourceRegistry(options.stateDir, options.log);
  const runner = new QueryRunner(store, sources);
  return { jobSql: new JobSqlCells({ connections, runner, store }), close: () => sources.closeAll() };
}
