// Debian's nginx in front of Tandem replicas, configured with the file users deploy
// (deploy/nginx/tandem.conf): the test only swaps in its own replicas and listen port. It runs
// in the foreground from a temporary prefix that holds its pid, logs and temporary files, on a
// free loopback port, and is stopped (or reloaded with new replicas) by signal.

import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './ports';
import type { TandemProcess } from './tandem';

const DEPLOYED_CONF = resolve(import.meta.dirname, '../../deploy/nginx/tandem.conf');
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export interface NginxServer {
  port: number;
  base: string;
  wsBase: string;
  /** The prefix directory: nginx.conf, tandem.conf, logs. */
  dir: string;
  /** Points the upstream at these replica ports and reloads nginx without dropping it. */
  reload(replicaPorts: number[]): Promise<void>;
  /** nginx's error log so far (for a failing test's message). */
  errors(): string;
  stop(): Promise<void>;
}

/** The deployed configuration with these replicas and this listen port, nothing else changed. */
export function tandemConf(port: number, replicaPorts: number[]): string {
  const template = readFileSync(DEPLOYED_CONF, 'utf8');
  const replicaLine = /^(\s*)server\s+\S+(.*?)\s*# tandem:replica\n/gm;
  const lines = [...template.matchAll(replicaLine)];
  const listenLine = /^(\s*)listen\s+\S+;\s*# tandem:listen$/m;
  if (lines.length === 0 || !listenLine.test(template)) throw new Error(`${DEPLOYED_CONF} lost its tandem:replica or tandem:listen lines`);
  const [, indent, parameters] = lines[0];
  const servers = replicaPorts.map((replicaPort) => `${indent}server 127.0.0.1:${replicaPort}${parameters}\n`).join('');
  let first = true;
  return template
    .replace(replicaLine, () => {
      const replacement = first ? servers : '';
      first = false;
      return replacement;
    })
    .replace(listenLine, `$1listen 127.0.0.1:${port};`);
}

/** The main configuration: everything nginx writes stays in the prefix; the http context is the deployed file. */
function mainConf(dir: string): string {
  return `pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log ${join(dir, 'access.log')};
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  include ${join(dir, 'tandem.conf')};
}
`;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolveAccepting) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveAccepting(true);
    });
    socket.once('error', () => resolveAccepting(false));
  });
}

function run(args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolveRun(output) : reject(new Error(`nginx ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

export async function startNginx(replicaPorts: number[]): Promise<NginxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-nginx-'));
  // Started as root, nginx's workers run as an unprivileged user that must reach the prefix.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(join(dir, 'tandem.conf'), tandemConf(port, replicaPorts));
  writeFileSync(conf, mainConf(dir));
  // -e: the startup error log too, before the configuration's error_log is read.
  const base = ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
  await run([...base, '-t', '-q']);
  const child: ChildProcess = spawn(NGINX, [...base, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const errors = () => {
    try {
      return stderr + readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return stderr;
    }
  };
  const deadline = Date.now() + 15_000;
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start:\n${errors()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    wsBase: `ws://127.0.0.1:${port}`,
    dir,
    errors,
    async reload(ports) {
      writeFileSync(join(dir, 'tandem.conf'), tandemConf(port, ports));
      // Checked first: a broken configuration would leave the old one running, silently.
      await run([...base, '-t', '-q']);
      await run([...base, '-s', 'reload']);
      // The old workers close their idle keep-alive connections as they hand over: a request
      // sent on one of those at that moment is cut ("other side closed"). Let them go first.
      await new Promise((r) => setTimeout(r, 1000));
    },
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        // SIGTERM, the fast shutdown: SIGQUIT's graceful one would wait for open WebSockets.
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The cluster as its clients see it, one address (nginx's), shaped like a TandemProcess so the
 * client helpers work through it. It has no process of its own: stopping or killing it throws.
 */
export function front(nginx: NginxServer, token: string, root: string): TandemProcess {
  const noProcess = (): never => {
    throw new Error('the nginx front has no server process; stop or kill a replica instead');
  };
  return {
    base: nginx.base,
    wsBase: nginx.wsBase,
    port: nginx.port,
    token,
    root,
    stateDir: join(root, '.tandem'),
    get process(): never {
      return noProcess();
    },
    output: nginx.errors,
    logs: nginx.errors,
    stop: noProcess,
    kill9: noProcess,
    restart: noProcess,
    api(method, path, body, asToken) {
      const headers: Record<string, string> = {};
      const useToken = asToken === undefined ? token : asToken;
      if (useToken) headers.authorization = `token ${useToken}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      return fetch(`${nginx.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    },
  };
}
