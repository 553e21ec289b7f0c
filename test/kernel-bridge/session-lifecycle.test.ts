// Starting, restarting and shutting down a kernel session: what happens to runs, and that no
// process, socket or timer is left behind. Real ipykernel.

import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { LaunchRequest } from '../../kernel-bridge/runtimes/runtime';
import { groupAlive, KernelFixture, processAlive, python3Spec } from './helpers';

const kernels = new KernelFixture();
beforeEach(() => kernels.setup());
afterEach(() => kernels.cleanup());

test('shutdown leaves no kernel process behind, including processes the kernel started', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'spawn', code: 'import subprocess\np = subprocess.Popen(["sleep", "300"])\nprint(p.pid)' });
  await log.finished('spawn');
  const childPid = Number(log.stdoutOf('spawn'));
  const [kernel] = kernels.runtime.launched;
  expect(processAlive(childPid)).toBe(true);

  await session.shutdown();
  expect(session.status).toBe('shutdown');
  expect(processAlive(kernel.pid)).toBe(false);
  expect(processAlive(childPid)).toBe(false);
  expect(groupAlive(kernel.pid)).toBe(false);
});

test('shutdown lets the kernel exit on its own before resorting to signals', async () => {
  // A generous grace, so that a loaded machine cannot turn this into a test of speed.
  const { session } = await kernels.session({ shutdownGraceMs: 30_000 });
  await session.start();
  const [kernel] = kernels.runtime.launched;
  await session.shutdown();
  expect(await kernel.exited).toMatchObject({ code: 0, signal: null });
});

test('shutdown fails the running run and cancels the queued ones, saying why', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'running', code: 'import time; time.sleep(30)' });
  session.enqueue({ runId: 'queued', code: 'pass' });
  await log.waitFor('runStarted', (event) => event.runId === 'running');
  await session.shutdown();
  expect(await log.finished('running')).toMatchObject({ status: 'failed', executionCount: 1, message: 'The kernel was shut down while this cell was running' });
  expect(await log.finished('queued')).toEqual({
    runId: 'queued',
    status: 'cancelled',
    executionCount: null,
    message: 'The kernel was shut down before this cell ran',
  });
  expect(log.events.status.at(-1)).toEqual({ status: 'shutdown', message: 'The kernel was shut down' });
});

test('restart empties the queue, reports each queued run cancelled, and starts a fresh kernel', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'state', code: 'x = 42' });
  session.enqueue({ runId: 'running', code: 'import time; time.sleep(30)' });
  session.enqueue({ runId: 'q1', code: 'pass' });
  session.enqueue({ runId: 'q2', code: 'pass' });
  await log.waitFor('runStarted', (event) => event.runId === 'running');

  const restarted = session.restart();
  expect(session.status).toBe('restarting');
  expect(session.queuedRunIds).toEqual([]);
  expect(session.runningRunId).toBeUndefined();
  await restarted;
  expect(session.status).toBe('idle');
  expect(await log.finished('running')).toMatchObject({ status: 'failed', message: 'The kernel was restarted while this cell was running' });
  for (const runId of ['q1', 'q2']) {
    expect(await log.finished(runId)).toEqual({ runId, status: 'cancelled', executionCount: null, message: 'The kernel was restarted before this cell ran' });
  }

  const [old, fresh] = kernels.runtime.launched;
  expect(groupAlive(old.pid)).toBe(false);
  expect(fresh.pid).not.toBe(old.pid);
  session.enqueue({ runId: 'check', code: "print('x' in globals())" });
  expect(await log.finished('check')).toMatchObject({ status: 'ok', executionCount: 1 });
  expect(log.stdoutOf('check')).toBe('False\n');
});

test('restarting while the kernel is still starting leaves exactly one kernel running', async () => {
  const { session, log } = await kernels.session();
  void session.start();
  await session.restart();
  await session.restart();
  session.enqueue({ runId: 'r', code: 'import os; print(os.getpid())' });
  await log.finished('r');
  const alive = kernels.runtime.launched.filter((kernel) => groupAlive(kernel.pid));
  expect(alive.map((kernel) => kernel.pid)).toEqual([Number(log.stdoutOf('r'))]);
});

test('shutting down while the kernel is still starting leaves no kernel process', async () => {
  const { session } = await kernels.session();
  void session.start();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await session.shutdown();
  expect(session.status).toBe('shutdown');
  for (const kernel of kernels.runtime.launched) expect(groupAlive(kernel.pid)).toBe(false);
});

test('a kernel that loses the race for its ports is launched again', async () => {
  // Ports are picked by binding port 0 and letting go; another process can take one before the
  // kernel binds it. Here a listener takes the first kernel's shell port on purpose.
  const squatters: net.Server[] = [];
  const runtime = {
    launch: async (request: LaunchRequest) => {
      const kernel = await kernels.runtime.launch(request);
      if (kernels.runtime.launched.length === 1) {
        const squatter = net.createServer();
        squatters.push(squatter);
        await new Promise<void>((resolve) => squatter.listen(kernel.connection.shell_port, '127.0.0.1', resolve));
      }
      return kernel;
    },
  };
  try {
    const { session, log } = await kernels.session({ runtime });
    session.enqueue({ runId: 'r', code: 'print("second time lucky")' });
    expect(await log.finished('r')).toMatchObject({ status: 'ok' });
    const [first, second] = kernels.runtime.launched;
    expect((await first.exited).stderrTail).toMatch(/Address already in use/);
    expect(groupAlive(second.pid)).toBe(true);
  } finally {
    for (const squatter of squatters) squatter.close();
  }
});

test('a kernelspec with interrupt_mode message is interrupted through the control channel', async () => {
  const spec = { ...(await python3Spec()), interruptMode: 'message' as const };
  const { session, log } = await kernels.session({ spec });
  session.enqueue({ runId: 'sleep', code: 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)' });
  await log.waitFor('output', (event) => event.runId === 'sleep');
  await session.interrupt();
  expect(await log.finished('sleep', 30_000)).toMatchObject({ status: 'interrupted' });
});

test('lastActivity moves forward when code runs', async () => {
  const { session, log } = await kernels.session();
  await session.start();
  const before = session.lastActivity;
  await new Promise((resolve) => setTimeout(resolve, 20));
  session.enqueue({ runId: 'r', code: 'pass' });
  await log.finished('r');
  expect(session.lastActivity).toBeGreaterThan(before);
});

test('a listener that throws does not stop the session', async () => {
  const { session, log } = await kernels.session();
  session.on('output', () => {
    throw new Error('bug in the server');
  });
  session.enqueue({ runId: 'r', code: 'print(1)' });
  expect(await log.finished('r')).toMatchObject({ status: 'ok' });
});

test('after shutdown, nothing of the session keeps Node running', async () => {
  const script = path.join(import.meta.dirname, 'fixtures', 'run-then-shut-down.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, kernels.dir], {
    cwd: path.resolve(import.meta.dirname, '..', '..'),
    timeout: 30_000,
  });
  expect(stdout).toContain('"status":"ok"');
  expect(stdout.trim().endsWith('shut down')).toBe(true);
});
