// The local runtime: connection files, process groups and clean kills, with real ipykernel
// processes (no session on top).

import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { KernelSpec } from '../../kernel-bridge/kernelspec/kernelspec';
import { kernelArgv, kernelEnv } from '../../kernel-bridge/runtimes/launch-command';
import { type LocalKernel, LocalRuntime } from '../../kernel-bridge/runtimes/local-runtime';
import { KernelLaunchError } from '../../kernel-bridge/runtimes/runtime';
import { groupAlive, processAlive, python3Spec } from './helpers';

let dir: string;
let runtimeDir: string;
let runtime: LocalRuntime;
const launched: LocalKernel[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-runtime-'));
  runtimeDir = path.join(dir, 'runtime');
  runtime = new LocalRuntime({ runtimeDir, killGraceMs: 2000 });
});
afterEach(async () => {
  await Promise.all(launched.splice(0).map((kernel) => kernel.kill()));
  await rm(dir, { recursive: true, force: true });
});

async function launch(spec?: KernelSpec): Promise<LocalKernel> {
  const kernel = await runtime.launch({ spec: spec ?? (await python3Spec()), cwd: dir });
  launched.push(kernel);
  return kernel;
}

test('a local kernel gets a private connection file with a fresh 32-byte key and five loopback ports', async () => {
  const kernel = await launch();
  const [file] = await readdir(runtimeDir);
  const filePath = path.join(runtimeDir, file);
  expect((await stat(filePath)).mode & 0o777).toBe(0o600);
  expect((await stat(runtimeDir)).mode & 0o777).toBe(0o700);
  const info = JSON.parse(await readFile(filePath, 'utf8'));
  expect(info).toEqual(kernel.connection);
  expect(info).toMatchObject({ transport: 'tcp', ip: '127.0.0.1', signature_scheme: 'hmac-sha256', kernel_name: 'python3' });
  expect(info.key).toMatch(/^[0-9a-f]{64}$/);
  const ports = [info.shell_port, info.control_port, info.stdin_port, info.iopub_port, info.hb_port];
  expect(new Set(ports).size).toBe(5);
});

test("a local kernel leads its own process group and runs in the notebook's directory", async () => {
  const kernel = await launch();
  const pgid = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(kernel.pid)], { encoding: 'utf8' }).trim());
  expect(pgid).toBe(kernel.pid);
  expect(pgid).not.toBe(Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim()));
  expect(await readlink(`/proc/${kernel.pid}/cwd`)).toBe(dir);
});

test('killing a local kernel ends its process group and removes its connection file', async () => {
  const kernel = await launch();
  await kernel.kill();
  expect(processAlive(kernel.pid)).toBe(false);
  expect(groupAlive(kernel.pid)).toBe(false);
  expect(await readdir(runtimeDir)).toEqual([]);
  expect((await kernel.exited).signal).toBe('SIGTERM');
});

test('a kernel command that does not exist fails to launch with a clear error', async () => {
  const spec = { ...(await python3Spec()), argv: ['/nonexistent/python3', '-f', '{connection_file}'] };
  await expect(runtime.launch({ spec, cwd: dir })).rejects.toThrow(KernelLaunchError);
  await expect(runtime.launch({ spec, cwd: dir })).rejects.toThrow(/Could not start the kernel \(\/nonexistent\/python3\)/);
  expect(await readdir(runtimeDir)).toEqual([]);
});

test('a missing working directory fails to launch with a clear error', async () => {
  await expect(runtime.launch({ spec: await python3Spec(), cwd: path.join(dir, 'gone') })).rejects.toThrow(/working directory .* does not exist/);
});

test('argv placeholders are replaced by the connection file and the resource directory', async () => {
  const spec = { ...(await python3Spec()), argv: ['run', '{resource_dir}/x', '-f', '{connection_file}'] };
  expect(kernelArgv(spec, '/tmp/k.json')).toEqual(['run', '/usr/share/jupyter/kernels/python3/x', '-f', '/tmp/k.json']);
});

test("the kernel's environment expands the spec's variables and does not inherit TANDEM_ settings", async () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: kernelspec env values use ${VAR}, as Jupyter expands them
  const spec = { ...(await python3Spec()), env: { PYTHONPATH: '${HOME}/lib:$EXTRA', COST: '$$5', KEEP: '${NOPE}' } };
  const env = kernelEnv(spec, { HOME: '/home/ada', EXTRA: '/x', TANDEM_TOKEN: 'secret' }, { NOTEBOOK: 'a.ipynb' });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an unknown ${VAR} is kept as written
  expect(env).toEqual({ HOME: '/home/ada', EXTRA: '/x', PYTHONPATH: '/home/ada/lib:/x', COST: '$5', KEEP: '${NOPE}', NOTEBOOK: 'a.ipynb' });
});
