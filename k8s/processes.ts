// The local cluster's processes and the small HTTP and port helpers its start-up uses. Each
// process runs in a process group of its own, its output in a log file, its pid in a file, so
// that whoever stops the cluster (maybe another process: k8s:down) can stop it and all it started.

import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import path from 'node:path';

// Some (the apiserver) can hang on SIGTERM while watches are open: a short grace, then SIGKILL.
const STOP_GRACE_MS = 1500;
const READY_TIMEOUT_MS = 60_000;

export async function stopGroup(pid: number): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!signalGroup(pid, 0)) return;
    await sleep(50);
  }
  signalGroup(pid, 'SIGKILL');
  while (signalGroup(pid, 0)) await sleep(20);
}

/** Signals the process group led by `pid`; false if there is none. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

// Set when a process of the cluster exits while it is being started: waiting for it is pointless.
let startFailure: Error | undefined;

/** Forgets a failure of an earlier start. */
export function resetStartFailure(): void {
  startFailure = undefined;
}

export async function startProcess(dir: string, name: string, command: string, args: string[]): Promise<void> {
  const logFile = path.join(dir, 'logs', `${name}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  child.unref();
  await writeFile(path.join(dir, 'pids', name), `${child.pid}\n`);
  child.once('exit', (code, signal) => {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    startFailure ??= new Error(`${name} exited (${code ?? signal}):\n${tail}`);
  });
}

export interface Tls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (startFailure) throw startFailure;
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url).catch(() => undefined);
  return response?.ok ?? false;
}

export async function httpsOk(url: string, tls: Tls): Promise<boolean> {
  return (await httpsJson('GET', url, tls)).status === 200;
}

export function httpsJson(method: string, url: string, tls: Tls, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ...tls, headers: { 'content-type': 'application/json' }, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
