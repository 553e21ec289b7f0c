// A kernel that dies or freezes: the session says so at once, fails its runs with a clear
// message, and a restart brings a working kernel back. Real ipykernel, real signals.

import { afterEach, beforeEach, expect, test } from 'vitest';
import { groupAlive, KernelFixture } from './helpers';

const kernels = new KernelFixture();
beforeEach(() => kernels.setup());
afterEach(() => kernels.cleanup());

test('os._exit(1) makes the session dead within 5 s, queued runs fail clearly, and restart runs code again', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'warmup', code: 'x = 1' });
  await log.finished('warmup');
  session.enqueue({ runId: 'crash', code: 'import os\nos._exit(1)' });
  session.enqueue({ runId: 'queued1', code: 'print(1)' });
  session.enqueue({ runId: 'queued2', code: 'print(2)' });
  const crashedAt = Date.now();

  const dead = await log.waitFor('status', (event) => event.status === 'dead', 5000);
  expect(Date.now() - crashedAt).toBeLessThan(5000);
  expect(dead.message).toBe('The kernel died unexpectedly (exit code 1)');
  expect(session.status).toBe('dead');
  expect(await log.finished('crash')).toMatchObject({ status: 'failed', message: 'The kernel died while this cell was running' });
  for (const runId of ['queued1', 'queued2']) {
    expect(await log.finished(runId)).toEqual({ runId, status: 'failed', executionCount: null, message: 'The kernel died before this cell could run' });
  }

  await session.restart();
  expect(session.status).toBe('idle');
  session.enqueue({ runId: 'after', code: 'print("x" in dir())' });
  expect(await log.finished('after')).toMatchObject({ status: 'ok', executionCount: 1 });
  expect(log.stdoutOf('after')).toBe('False\n');
});

test('a run queued while the kernel is dead fails at once and says to restart', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'crash', code: 'import os; os._exit(3)' });
  await log.waitFor('status', (event) => event.status === 'dead');
  session.enqueue({ runId: 'late', code: 'print(1)' });
  expect(await log.finished('late')).toMatchObject({
    status: 'failed',
    message: 'The kernel is dead (The kernel died unexpectedly (exit code 3)). Restart it to run code.',
  });
});

test('a kernel killed from outside is reported dead with the signal', async () => {
  const { session, log } = await kernels.session();
  await session.start();
  const [kernel] = kernels.runtime.launched;
  process.kill(kernel.pid, 'SIGKILL');
  const dead = await log.waitFor('status', (event) => event.status === 'dead', 5000);
  expect(dead.message).toBe('The kernel died unexpectedly (killed by SIGKILL)');
});

test('a frozen kernel is declared dead after missed heartbeats, and its process is stopped', async () => {
  const { session, log } = await kernels.session({ heartbeatIntervalMs: 300, heartbeatMaxMisses: 3 });
  session.enqueue({ runId: 'warmup', code: 'pass' });
  await log.finished('warmup');
  const [kernel] = kernels.runtime.launched;
  session.enqueue({ runId: 'frozen', code: 'import time; time.sleep(30)' });
  await log.waitFor('runStarted', (event) => event.runId === 'frozen');
  // SIGSTOP freezes the heartbeat thread too: the process is alive but answers nothing.
  process.kill(kernel.pid, 'SIGSTOP');

  const dead = await log.waitFor('status', (event) => event.status === 'dead', 15_000);
  expect(dead.message).toBe('The kernel stopped responding (3 heartbeats missed)');
  expect(await log.finished('frozen')).toMatchObject({ status: 'failed', message: 'The kernel died while this cell was running' });
  // A stopped process ignores SIGTERM until continued; the runtime must still get rid of it.
  await kernel.exited;
  expect(groupAlive(kernel.pid)).toBe(false);
});

test('a long computation does not look like a dead kernel', async () => {
  const { session, log } = await kernels.session({ heartbeatIntervalMs: 250, heartbeatMaxMisses: 8 });
  // A pure-Python loop holds the GIL; ipykernel's heartbeat runs in C without it.
  session.enqueue({ runId: 'busy', code: 'n = 0\nfor i in range(30_000_000): n += i' });
  expect(await log.finished('busy', 60_000)).toMatchObject({ status: 'ok' });
  expect(log.events.status.map((event) => event.status)).not.toContain('dead');
});

test('a kernelspec whose kernel cannot start leaves the session dead with the reason, and fails its runs', async () => {
  const spec = {
    name: 'broken',
    resourceDir: '/nonexistent',
    argv: ['/usr/bin/python3', '-c', 'raise SystemExit("ipykernel is not installed in this environment")', '{connection_file}'],
    displayName: 'Broken',
    language: 'python',
    interruptMode: 'signal' as const,
    env: {},
    metadata: {},
  };
  const { session, log } = await kernels.session({ spec });
  session.enqueue({ runId: 'r', code: 'print(1)' });
  const dead = await log.waitFor('status', (event) => event.status === 'dead');
  expect(dead.message).toBe('The kernel exited while starting (exit code 1): ipykernel is not installed in this environment');
  expect(await log.finished('r')).toMatchObject({
    status: 'failed',
    message: 'The kernel could not start: The kernel exited while starting (exit code 1): ipykernel is not installed in this environment',
  });
});
