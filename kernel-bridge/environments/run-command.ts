// Runs one installer command (venv, pip, uv) in its own process group, handing each line it
// prints to the caller as it comes, and keeping the last lines to explain a failure. A command
// that runs past its deadline, or whose caller gives up, is killed with everything it started.

import { spawn } from 'node:child_process';
import { signalGroup, waitGroupGone } from '../runtimes/process-group';

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine?(line: string): void;
}

export interface CommandResult {
  code: number | null;
  /** The last lines of output (stdout and stderr together), for error messages and logs. */
  lines: string[];
  timedOut: boolean;
}

const KEEP_LINES = 200;
const MAX_LINE = 2000;

export function runCommand(command: string, args: string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    let timedOut = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (line: string): void => {
      // pip draws progress with \r; only the final state of such a line is worth keeping.
      const text = line
        .split('\r')
        .filter((part) => part.trim())
        .at(-1)
        ?.trimEnd()
        .slice(0, MAX_LINE);
      if (!text) return;
      lines.push(text);
      if (lines.length > KEEP_LINES) lines.shift();
      options.onLine?.(text);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        parts.forEach(take);
      });
      stream.on('end', () => {
        if (partial) take(partial);
        partial = '';
      });
      stream.on('error', () => {});
    }
    const stop = (): void => {
      if (!child.pid) return;
      signalGroup(child.pid, 'SIGTERM');
      void waitGroupGone(child.pid, 3000).then((gone) => {
        if (!gone && child.pid) signalGroup(child.pid, 'SIGKILL');
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = (): void => stop();
    options.signal?.addEventListener('abort', onAbort);
    child.once('error', (error) => {
      lines.push(`${command}: ${error.message}`);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, lines, timedOut });
    });
  });
}
