// What a load process does to a cluster's processes behind the orchestrator's back (the failover
// run kills replicas with SIGKILL and starts new ones), written down in the run's folder so that
// the orchestrator neither reports a killed replica as a crash nor leaves a started one behind.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const KILLED = 'killed-pids';
const STARTED = 'started-pids';

function pids(workDir: string, file: string): number[] {
  try {
    return readFileSync(join(workDir, file), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export const noteKilled = (workDir: string, pid: number): void => appendFileSync(join(workDir, KILLED), `${pid}\n`);
export const noteStarted = (workDir: string, pid: number): void => appendFileSync(join(workDir, STARTED), `${pid}\n`);
export const killedPids = (workDir: string): number[] => pids(workDir, KILLED);

/** Ends what a load process started and did not stop (it may have been killed at its timeout). */
export function killStarted(workDir: string): void {
  for (const pid of pids(workDir, STARTED)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
