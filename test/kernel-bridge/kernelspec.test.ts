// Kernelspec discovery, in Jupyter's directories and order.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { findKernelSpec, findKernelSpecs, jupyterDataDirs } from '../../kernel-bridge/kernelspec/discovery';
import { recordingLogger } from './helpers';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-kernelspec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeSpec(dataDir: string, name: string, json: unknown): Promise<void> {
  const kernelDir = path.join(dataDir, 'kernels', name);
  await mkdir(kernelDir, { recursive: true });
  await writeFile(path.join(kernelDir, 'kernel.json'), typeof json === 'string' ? json : JSON.stringify(json));
}

test("discovery finds Debian's python3 kernelspec with its argv and defaults", async () => {
  const spec = await findKernelSpec('python3');
  expect(spec).toMatchObject({
    name: 'python3',
    resourceDir: '/usr/share/jupyter/kernels/python3',
    argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    displayName: 'Python 3 (ipykernel)',
    language: 'python',
    interruptMode: 'signal',
    env: {},
  });
});

test('JUPYTER_PATH entries come first, then the user directory, then system directories', async () => {
  const env = { JUPYTER_PATH: ['/a', '/b'].join(path.delimiter), HOME: dir, XDG_DATA_HOME: path.join(dir, 'xdg'), PATH: '' };
  const dirs = await jupyterDataDirs({ env });
  expect(dirs).toEqual(['/a', '/b', path.join(dir, 'xdg', 'jupyter'), '/usr/local/share/jupyter', '/usr/share/jupyter']);
});

test('the share/jupyter of the python found on PATH is searched after the user directory', async () => {
  const venv = path.join(dir, 'venv');
  await mkdir(path.join(venv, 'bin'), { recursive: true });
  await writeFile(path.join(venv, 'bin', 'python3'), '#!/bin/sh\n', { mode: 0o755 });
  const dirs = await jupyterDataDirs({ env: { PATH: path.join(venv, 'bin'), JUPYTER_DATA_DIR: '/user' } });
  expect(dirs.slice(0, 2)).toEqual(['/user', path.join(venv, 'share', 'jupyter')]);
});

test('a kernelspec in JUPYTER_PATH is found with its interrupt mode and env', async () => {
  await writeSpec(dir, 'Julia-1.10', {
    argv: ['julia', '-i', '{connection_file}'],
    display_name: 'Julia 1.10',
    language: 'julia',
    interrupt_mode: 'message',
    env: { JULIA_NUM_THREADS: '4' },
  });
  const spec = await findKernelSpec('julia-1.10', { env: { ...process.env, JUPYTER_PATH: dir } });
  expect(spec).toMatchObject({
    name: 'julia-1.10',
    displayName: 'Julia 1.10',
    interruptMode: 'message',
    env: { JULIA_NUM_THREADS: '4' },
    resourceDir: path.join(dir, 'kernels', 'Julia-1.10'),
  });
});

test('a kernelspec in JUPYTER_PATH overrides a system one of the same name', async () => {
  await writeSpec(dir, 'python3', { argv: ['/opt/py/bin/python', '-m', 'ipykernel', '-f', '{connection_file}'], display_name: 'Mine' });
  const specs = await findKernelSpecs({ env: { ...process.env, JUPYTER_PATH: dir } });
  expect(specs.filter((spec) => spec.name === 'python3')).toEqual([
    expect.objectContaining({ displayName: 'Mine', resourceDir: path.join(dir, 'kernels', 'python3') }),
  ]);
});

test('an invalid kernel.json is skipped and logged, and the others are still found', async () => {
  await writeSpec(dir, 'broken', '{ not json');
  await writeSpec(dir, 'noargv', { display_name: 'No argv' });
  await writeSpec(dir, 'good', { argv: ['x'], display_name: 'Good' });
  const logger = recordingLogger();
  const specs = await findKernelSpecs({ env: { ...process.env, JUPYTER_PATH: dir }, logger });
  const names = specs.map((spec) => spec.name);
  expect(names).toContain('good');
  expect(names).toContain('python3');
  expect(names).not.toContain('broken');
  expect(names).not.toContain('noargv');
  expect(logger.lines.filter((line) => line.message === 'skipped a kernelspec')).toHaveLength(2);
});
