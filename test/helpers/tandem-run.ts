// `tandem run NOTEBOOK` as a user types it (`npm start -- run ...`): the bundle's `serve run`
// started from the repository, with the caller's folder in INIT_CWD as npm passes it.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { TANDEM_BUNDLE } from '../../bench/lib/bundle.js';

const REPO = resolve(import.meta.dirname, '../..');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a job without a server; `env` adds to the test's environment (no warm pool: one kernel is all a job needs). */
export function tandemRun(args: string[], cwd: string, env: Record<string, string> = {}): Promise<RunResult> {
  const child = spawn(process.execPath, [TANDEM_BUNDLE, 'serve', 'run', ...args], {
    cwd: REPO,
    env: { ...process.env, INIT_CWD: cwd, TANDEM_WARM_POOL: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}
