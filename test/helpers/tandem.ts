// Starts a real Tandem server (the `tandem serve` command line, as users run it) on port 0
// with a temporary root, for tests. Nothing is mocked: the test talks to it over HTTP and
// WebSocket, and can kill it with SIGKILL and start it again on the same root.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TANDEM_BUNDLE } from '../../bench/lib/bundle.js';
import { mountPointsUnder } from '../../kernel-bridge/containers/warm-slots';
import { workingIn } from './leftovers';

const REPO = resolve(import.meta.dirname, '../..');
// The server as `npm start` runs it: Node on the bundle in dist/ (test/global-setup.ts builds
// it), so signals reach the server process itself. Source maps keep stack traces readable.
const NODE_ARGS = ['--enable-source-maps'];

/** Replies read by tests are arbitrary JSON; each test asserts on the fields it needs. */
// biome-ignore lint/suspicious/noExplicitAny: replies are arbitrary JSON, read field by field in tests
export type Json = any;
export type ApiResponse = Omit<Response, 'json'> & { json(): Promise<Json> };

export interface StartOptions {
  root?: string;
  token?: string;
  /** A fixed port, to restart on the same address. */
  port?: number;
  args?: string[];
  env?: Record<string, string>;
}

export interface TandemProcess {
  base: string;
  wsBase: string;
  port: number;
  token: string;
  root: string;
  stateDir: string;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** What it wrote to stderr: its structured log. */
  logs(): string;
  /** Graceful stop with SIGTERM (or the given signal); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL: no chance to save or flush anything. */
  kill9(): Promise<void>;
  /**
   * A new server process on the same root, port and token; `changes` override its start
   * options (`token: ''` lets the server use the token it kept).
   */
  restart(changes?: Partial<StartOptions>): Promise<TandemProcess>;
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse>;
}

export function tempRoot(prefix = 'tandem-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startTandem(options: StartOptions = {}): Promise<TandemProcess> {
  const root = options.root ?? tempRoot();
  // An empty token means: let the server generate one (read back from its URL line).
  let token = options.token ?? `test-token-${Math.random().toString(36).slice(2)}`;
  const args = [
    TANDEM_BUNDLE,
    'serve',
    '--port',
    String(options.port ?? 0),
    '--root',
    root,
    ...(token ? ['--token', token] : []),
    '--log-format',
    'json',
    '--save-delay',
    '0.2',
    // Inside the temporary root, so it goes with it (the default is outside any root).
    '--state-dir',
    join(root, '.tandem'),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  let logs = '';
  const exited = new Promise<number | null>((resolveExit) => {
    child.on('exit', (code) => {
      running.delete(child);
      resolveExit(code);
    });
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`Tandem did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Tandem is running at http:\/\/[^:]+:(\d+)\/\?token=(\S+)\n/.exec(output);
      if (match) {
        clearTimeout(timer);
        token ||= match[2];
        resolvePort(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      logs += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Tandem exited with ${code} before it was ready:\n${output}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const server: TandemProcess = {
    base,
    wsBase: `ws://127.0.0.1:${port}`,
    port,
    token,
    root,
    stateDir: join(root, '.tandem'),
    process: child,
    output: () => output,
    logs: () => logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    async kill9() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    restart: (changes = {}) => startTandem({ ...options, root, token, port, ...changes }),
    api(method, path, body, asToken) {
      const headers: Record<string, string> = {};
      const useToken = asToken === undefined ? token : asToken;
      if (useToken) headers.authorization = `token ${useToken}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      return fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    },
  };
  return server;
}

/** Ends what still works in the root, unmounts what is mounted in it, then removes it. */
export function removeRoot(root: string): void {
  // A throwaway root: what still works in it is killed outright (see leftovers.ts, workingIn).
  for (const pid of workingIn(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // It ended between the look and the kill.
    }
  }
  // A server killed with -9 may leave warm container slots mounted in its state directory;
  // removing through a notebook folder mounted there would reach into it.
  for (const target of mountPointsUnder(root)) spawnSync('umount', ['--lazy', target]);
  // A process killed a moment ago may still have a write in flight; rmSync retries ENOTEMPTY.
  rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}
