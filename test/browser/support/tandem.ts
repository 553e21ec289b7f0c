// Starts a real Tandem server for a browser test: port 0, a temporary root, a known token.
// (When test/helpers/tandem.ts lands, this can delegate to it.)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './build';

export interface Tandem {
  url: string;
  token: string;
  root: string;
  /** Calls the API as the owner, with the token header. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startTandem(): Promise<Tandem> {
  const root = mkdtempSync(join(tmpdir(), 'tandem-browser-'));
  const token = randomBytes(16).toString('hex');
  const child: ChildProcess = spawn(
    join(REPO, 'node_modules/.bin/tsx'),
    ['server/cli.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--root', root, '--token', token],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TANDEM_LOG_LEVEL: process.env.TANDEM_LOG_LEVEL ?? 'warn' } },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Tandem did not start in time:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /Tandem is running at (http:\/\/[^\s/]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Tandem exited with ${code} before it was ready:\n${output}`));
    });
  });
  // Ready means /api/status answers.
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/api/status`)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `token ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    url,
    token,
    root,
    api,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
