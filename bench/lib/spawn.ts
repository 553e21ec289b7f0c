// Starting and stopping server processes: free ports, readiness, logs, and a kill that always
// happens, so no run leaves a server behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** Waits for a line on stdout or stderr matching `re`, returning the match. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * The command and arguments that run `cmd` with its open-file limit raised to the hard limit:
 * the audience job holds ten thousand sockets in one server and one load process, more than
 * the usual soft limit of 1,024. Node cannot raise it itself, so a shell does and then becomes
 * the command (exec: the pid, and signals, are the command's own).
 */
export function withOpenFilesRaised(cmd: string, args: string[]): [string, string[]] {
  return ['/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', cmd, ...args]];
}

export function startProcess(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string }): Proc {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const [shell, shellArgs] = withOpenFilesRaised(cmd, args);
  const child = spawn(shell, shellArgs, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  let seen = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    log.write(chunk);
    // Keep only a tail: readiness lines come early and servers may log a lot.
    seen = (seen + chunk.toString('utf8')).slice(-64 * 1024);
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
      log.end();
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
    for (const l of listeners) l();
  });
  return {
    child,
    pid: child.pid,
    exited,
    waitFor(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(seen);
          if (m) finish(() => resolve(m));
          else if (done) finish(() => reject(new Error(`${cmd} exited before printing ${re} (see ${opts.logFile})`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${cmd} did not print ${re} within ${timeoutMs} ms (see ${opts.logFile})`))), timeoutMs);
        const finish = (f: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 3000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill(signal) {
      if (!done) child.kill(signal);
    },
  };
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, headers: Record<string, string> = {}, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let exited = false;
  void proc?.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the server exited before ${url} answered`);
    try {
      const res = await fetch(url, { headers });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}
