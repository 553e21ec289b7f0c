// Running code through a kernel session: outputs, execution counts, order and errors, with a
// real ipykernel.

import { afterEach, beforeEach, expect, test } from 'vitest';
import { KernelFixture } from './helpers';

const kernels = new KernelFixture();
beforeEach(() => kernels.setup());
afterEach(() => kernels.cleanup());

// A 1x1 transparent PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

test('a print is reported as stdout of its run, with execution count 1', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'r1', code: 'print("hello, world")' });
  const finished = await log.finished('r1');
  expect(finished).toEqual({ runId: 'r1', status: 'ok', executionCount: 1 });
  expect(log.events.runStarted).toEqual([{ runId: 'r1', executionCount: 1, msgId: expect.any(String) }]);
  expect(log.outputsOf('r1')).toEqual([{ runId: 'r1', msgType: 'stream', content: { name: 'stdout', text: 'hello, world\n' } }]);
});

test('an IPython.display.Image is reported as display_data with the PNG', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({
    runId: 'img',
    code: `import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode("${PNG_BASE64}")))`,
  });
  expect(await log.finished('img')).toMatchObject({ status: 'ok', executionCount: 1 });
  const [output] = log.outputsOf('img');
  expect(output.msgType).toBe('display_data');
  if (output.msgType !== 'display_data') return;
  // IPython's base64 ends with a newline.
  expect(String(output.content.data['image/png']).trim()).toBe(PNG_BASE64);
  expect(output.content.data['text/plain']).toBe('<IPython.core.display.Image object>');
});

test('the value of the last expression is reported as execute_result with its execution count', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'a', code: 'x = 20' });
  session.enqueue({ runId: 'b', code: 'x + 22' });
  expect(await log.finished('b')).toEqual({ runId: 'b', status: 'ok', executionCount: 2 });
  expect(log.outputsOf('b')).toEqual([{ runId: 'b', msgType: 'execute_result', content: { data: { 'text/plain': '42' }, metadata: {}, execution_count: 2 } }]);
});

test('a raised exception finishes the run as error with the exception and its execution count', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'ok', code: '1' });
  session.enqueue({ runId: 'boom', code: 'raise ValueError("bad value")' });
  const finished = await log.finished('boom');
  expect(finished).toMatchObject({ runId: 'boom', status: 'error', executionCount: 2, error: { ename: 'ValueError', evalue: 'bad value' } });
  expect(finished.error?.traceback.join('\n')).toContain('ValueError');
  expect(log.outputsOf('boom').map((output) => output.msgType)).toEqual(['error']);
});

test('five queued runs execute one after another in the order they were queued', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'setup', code: 'import time\norder = []' });
  for (let i = 1; i <= 5; i += 1) {
    // Decreasing sleeps: runs that overlapped would finish in reverse order.
    session.enqueue({ runId: `run${i}`, code: `time.sleep(${(6 - i) * 0.05})\norder.append(${i})\nprint(${i})` });
  }
  session.enqueue({ runId: 'check', code: 'order' });
  await log.finished('check');
  const finishedIds = log.events.runFinished.map((event) => event.runId);
  expect(finishedIds).toEqual(['setup', 'run1', 'run2', 'run3', 'run4', 'run5', 'check']);
  expect(log.events.runStarted.map((event) => event.executionCount)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect([1, 2, 3, 4, 5].map((i) => log.stdoutOf(`run${i}`))).toEqual(['1\n', '2\n', '3\n', '4\n', '5\n']);
  const [result] = log.outputsOf('check');
  expect(result.msgType === 'execute_result' && result.content.data['text/plain']).toBe('[1, 2, 3, 4, 5]');
});

test('an error aborts the runs queued behind it, as JupyterLab does with stop_on_error', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'boom', code: '1/0' });
  session.enqueue({ runId: 'next', code: 'print("should not run")' });
  expect(await log.finished('next')).toEqual({
    runId: 'next',
    status: 'aborted',
    executionCount: null,
    message: 'Not run because an earlier cell raised an error',
  });
  expect(log.outputsOf('next')).toEqual([]);
  session.enqueue({ runId: 'later', code: 'print("runs")' });
  expect(await log.finished('later')).toMatchObject({ status: 'ok', executionCount: 2 });
});

test('a run queued with stopOnError false does not abort the runs behind it', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'boom', code: '1/0', stopOnError: false });
  session.enqueue({ runId: 'next', code: 'print("still runs")' });
  expect(await log.finished('next')).toMatchObject({ status: 'ok' });
  expect(log.stdoutOf('next')).toBe('still runs\n');
});

test('a queued run can be cancelled and is reported as cancelled', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'slow', code: 'import time; time.sleep(0.5)' });
  session.enqueue({ runId: 'doomed', code: 'print("no")' });
  session.enqueue({ runId: 'after', code: 'print("yes")' });
  expect(session.cancel('doomed')).toBe(true);
  expect(session.cancel('doomed')).toBe(false);
  expect(await log.finished('doomed')).toEqual({ runId: 'doomed', status: 'cancelled', executionCount: null, message: 'Cancelled before it ran' });
  expect(await log.finished('after')).toMatchObject({ status: 'ok', executionCount: 2 });
  expect(log.outputsOf('doomed')).toEqual([]);
});

test('a display updated by a later run is reported with its display id', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'show', code: 'from IPython.display import display\nh = display("first", display_id="progress")' });
  session.enqueue({ runId: 'update', code: 'h.update("second")' });
  await log.finished('update');
  expect(log.outputsOf('show')).toEqual([
    expect.objectContaining({ msgType: 'display_data', displayId: 'progress', content: expect.objectContaining({ data: { 'text/plain': "'first'" } }) }),
  ]);
  expect(log.outputsOf('update')).toEqual([
    expect.objectContaining({
      msgType: 'update_display_data',
      displayId: 'progress',
      content: expect.objectContaining({ data: { 'text/plain': "'second'" } }),
    }),
  ]);
});

test('clear_output is passed through with its wait flag', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'c', code: 'from IPython.display import clear_output\nprint("a")\nclear_output(wait=True)\nprint("b")' });
  await log.finished('c');
  expect(log.outputsOf('c').map((output) => (output.msgType === 'clear_output' ? `clear(${output.content.wait})` : output.msgType))).toEqual([
    'stream',
    'clear(true)',
    'stream',
  ]);
});

test('output printed by a thread after its run finished is still routed to that run', async () => {
  const { session, log } = await kernels.session();
  session.enqueue({ runId: 'bg', code: 'import threading\nthreading.Timer(0.3, lambda: print("late", flush=True)).start()' });
  await log.finished('bg');
  expect(log.outputsOf('bg')).toEqual([]);
  await log.waitFor('output', (event) => event.runId === 'bg');
  expect(log.stdoutOf('bg')).toBe('late\n');
});

test('enqueueing on a session that was never started starts the kernel', async () => {
  const { session, log } = await kernels.session();
  expect(session.status).toBe('shutdown');
  session.enqueue({ runId: 'r', code: 'import os; print(os.getcwd())' });
  await log.finished('r');
  expect(log.stdoutOf('r')).toBe(`${kernels.dir}\n`);
  expect(log.events.status.map((event) => event.status).slice(0, 2)).toEqual(['starting', 'idle']);
  expect(session.kernelInfo?.language_info.name).toBe('python');
});

test('a run id already waiting or running is refused', async () => {
  const { session } = await kernels.session();
  session.enqueue({ runId: 'same', code: 'pass' });
  expect(() => session.enqueue({ runId: 'same', code: 'pass' })).toThrow(/already queued or running/);
});
