import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as Y from 'yjs';
import type { ExecutionRecord } from '../../common/doc-schema';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, kernelStatus, outputsOf, recordOf, waitForRun } from '../helpers/execution';
import { alive, commandOf } from '../helpers/leftovers';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let watcher: NotebookClient;
let fileId: string;
let runnerA: string;
let runnerB: string;
let viewerToken: string;

const cells = [
  ...[1, 2, 3, 4, 5].map((n) => ({ id: `q${n}`, source: `import time\ntime.sleep(0.1)\nprint(${n})` })),
  { id: 'sleep', source: 'import time\ntime.sleep(60)' },
  { id: 'after', source: 'print("ran after the interrupt")' },
  { id: 'crash', source: 'import os\nos._exit(1)' },
  { id: 'ask', source: 'answer = input("Your name? ")\nprint("hello", answer)' },
  { id: 'flood', source: "while True:\n    print('x' * 10000)" },
  { id: 'md', type: 'markdown' as const, source: '# not code' },
];

beforeAll(async () => {
  server = await startTandem();
  await server.api('PUT', '/api/contents/queue.ipynb', { type: 'notebook', format: 'json', content: makeNotebook(cells) });
  const share = async (role: string) => (await (await server.api('POST', '/api/shares', { path: 'queue.ipynb', role })).json()).token as string;
  runnerA = await share('runner');
  runnerB = await share('runner');
  viewerToken = await share('viewer');
  watcher = await connectNotebook(server, 'queue.ipynb', { token: viewerToken });
  fileId = watcher.fileId;
});
afterAll(async () => {
  watcher.destroy();
  await server.stop();
});

test('runs from two runners queue in one FIFO and the records name who asked', async () => {
  const first = await execute(server, fileId, ['q1', 'q2', 'q3'], runnerA);
  const second = await execute(server, fileId, ['q4', 'q5'], runnerB);
  const runs = [...first, ...second];
  const records: ExecutionRecord[] = [];
  for (const run of runs) records.push(await waitForRun(watcher, run.id));
  expect(records.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  for (let i = 1; i < records.length; i++) {
    expect(records[i].startedAt!).toBeGreaterThanOrEqual(records[i - 1].finishedAt!);
    expect(records[i].seq).toBeGreaterThan(records[i - 1].seq);
  }
  expect(records.slice(0, 3).every((r) => r.requestedBy.username === records[0].requestedBy.username)).toBe(true);
  expect(records[3].requestedBy.username).not.toBe(records[0].requestedBy.username);
  expect(records[0].requestedBy.name).toMatch(/^Anonymous /);
  expect(records.map((r) => r.source)).toEqual(cells.slice(0, 5).map((c) => c.source));
  expect(outputsOf(watcher, 'q5')).toEqual([{ output_type: 'stream', name: 'stdout', text: '5\n' }]);
});

test('a run executes the source as it stood when it was requested', async () => {
  const editor = await connectNotebook(server, 'queue.ipynb');
  const [sleeper] = await execute(server, fileId, ['q1']);
  const [queued] = await execute(server, fileId, ['q2']);
  const cell = editor.notebook.cells.find((c) => c.getId() === 'q2')!;
  cell.setSource('print("changed after queueing")');
  await waitForRun(watcher, sleeper.id);
  const record = await waitForRun(watcher, queued.id);
  expect(record.source).toContain('print(2)');
  expect(outputsOf(watcher, 'q2')).toEqual([{ output_type: 'stream', name: 'stdout', text: '2\n' }]);
  cell.setSource(cells[1].source);
  editor.destroy();
});

test('a run requested right after typing includes what was typed', async () => {
  const editor = await connectNotebook(server, 'queue.ipynb');
  for (let round = 0; round < 5; round++) {
    const cell = editor.notebook.cells.find((c) => c.getId() === 'q3')!;
    cell.setSource(`print("typed just now ${round}")`);
    const after = Buffer.from(Y.encodeStateVector(editor.doc)).toString('base64');
    const response = await server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds: ['q3'], after });
    expect(response.status).toBe(202);
    const [run] = (await response.json()).runs;
    expect(run.source).toBe(`print("typed just now ${round}")`);
    await waitForRun(watcher, run.id);
  }
  editor.notebook.cells.find((c) => c.getId() === 'q3')!.setSource(cells[2].source);
  editor.destroy();
});

test('time.sleep(60) is interrupted within 2 seconds and the next queued cell then runs', async () => {
  const [sleeping, next] = await execute(server, fileId, ['sleep', 'after']);
  await waitForRun(watcher, sleeping.id, ['running']);
  const started = Date.now();
  expect((await server.api('POST', `/api/notebooks/${fileId}/interrupt`, undefined, runnerA)).status).toBe(200);
  const interrupted = await waitForRun(watcher, sleeping.id);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(interrupted.status).toBe('interrupted');
  expect(outputsOf(watcher, 'sleep')[0]).toMatchObject({ output_type: 'error', ename: 'KeyboardInterrupt' });
  expect((await waitForRun(watcher, next.id)).status).toBe('ok');
  expect(outputsOf(watcher, 'after')).toEqual([{ output_type: 'stream', name: 'stdout', text: 'ran after the interrupt\n' }]);
});

test('input() is answered only by the person whose run asked', async () => {
  const [run] = await execute(server, fileId, ['ask'], runnerA);
  await eventually(() => expect(recordOf(watcher, run.id)?.input).toEqual({ prompt: 'Your name? ', password: false }));
  const answer = (token: string) => server.api('POST', `/api/notebooks/${fileId}/executions/${run.id}/input`, { value: 'Ada' }, token);
  expect((await answer(runnerB)).status).toBe(403);
  expect((await answer(viewerToken)).status).toBe(403);
  expect((await answer(runnerA)).status).toBe(200);
  expect((await waitForRun(watcher, run.id)).status).toBe('ok');
  expect(recordOf(watcher, run.id)?.input).toBeUndefined();
  expect(
    outputsOf(watcher, 'ask')
      .map((o) => o.text)
      .join(''),
  ).toContain('hello Ada');
});

test('a queued run can be cancelled, and restarting empties the queue saying so', async () => {
  const [sleeping, cancelled, dropped] = await execute(server, fileId, ['sleep', 'q1', 'q2']);
  await waitForRun(watcher, sleeping.id, ['running']);
  expect((await server.api('POST', `/api/notebooks/${fileId}/executions/${cancelled.id}/cancel`, undefined, runnerA)).status).toBe(200);
  expect((await waitForRun(watcher, cancelled.id)).status).toBe('cancelled');
  expect((await server.api('POST', `/api/notebooks/${fileId}/executions/${sleeping.id}/cancel`, undefined, runnerA)).status).toBe(409);
  expect((await server.api('POST', `/api/notebooks/${fileId}/restart`, undefined, runnerA)).status).toBe(200);
  const running = await waitForRun(watcher, sleeping.id);
  const queued = await waitForRun(watcher, dropped.id);
  expect(running.message).toMatch(/restarted while this cell was running/);
  expect(queued).toMatchObject({ status: 'cancelled' });
  expect(queued.message).toMatch(/restarted before this cell ran/);
  await eventually(() => expect(kernelStatus(watcher)).toBe('idle'), 60_000);
});

test('a kernel that exits is marked dead within 5 seconds, the queue fails clearly, and a restart works', async () => {
  const [crash, queued] = await execute(server, fileId, ['crash', 'q1']);
  await waitForRun(watcher, crash.id, ['running', 'failed']);
  const started = Date.now();
  await eventually(() => expect(kernelStatus(watcher)).toBe('dead'), 5000);
  expect(Date.now() - started).toBeLessThan(5000);
  expect((await waitForRun(watcher, crash.id)).status).toBe('failed');
  const failed = await waitForRun(watcher, queued.id);
  expect(failed.status).toBe('failed');
  expect(failed.message).toMatch(/kernel/i);
  expect(String(watcher.doc.getMap('kernel').get('message'))).toMatch(/died|exit/i);
  const [refused] = await execute(server, fileId, ['q1']);
  expect((await waitForRun(watcher, refused.id)).message).toMatch(/Restart/);

  expect((await server.api('POST', `/api/notebooks/${fileId}/restart`, undefined, runnerA)).status).toBe(200);
  await eventually(() => expect(kernelStatus(watcher)).toBe('idle'), 60_000);
  const [again] = await execute(server, fileId, ['q3']);
  expect((await waitForRun(watcher, again.id)).status).toBe('ok');
});

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

test('an output flood is cut at the cap, keeps server memory bounded, and can be interrupted', async () => {
  const baseline = rssOf(server.process.pid!);
  const [flood] = await execute(server, fileId, ['flood']);
  await waitForRun(watcher, flood.id, ['running']);
  let peak = baseline;
  const until = Date.now() + 6000;
  while (Date.now() < until) {
    peak = Math.max(peak, rssOf(server.process.pid!));
    await new Promise((r) => setTimeout(r, 100));
  }
  // Meanwhile another notebook's collaborators still see each other's edits.
  await server.api('PUT', '/api/contents/calm.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'c', source: '' }]) });
  const [calmA, calmB] = [await connectNotebook(server, 'calm.ipynb'), await connectNotebook(server, 'calm.ipynb')];
  calmA.notebook.getCell(0).setSource('typed during the flood');
  await eventually(() => expect(calmB.notebook.getCell(0).getSource()).toBe('typed during the flood'), 10_000);
  calmA.destroy();
  calmB.destroy();
  await eventually(() => {
    const outputs = outputsOf(watcher, 'flood');
    expect(outputs.at(-1)?.data).toHaveProperty(['application/vnd.tandem.truncated+json']);
  });
  expect((await server.api('POST', `/api/notebooks/${fileId}/interrupt`, undefined, runnerA)).status).toBe(200);
  expect((await waitForRun(watcher, flood.id)).status).toBe('interrupted');
  const outputs = outputsOf(watcher, 'flood');
  const shown = outputs.filter((o) => o.output_type === 'stream').reduce((n, o) => n + String(o.text).length, 0);
  expect(shown).toBeLessThanOrEqual(2 * 1024 * 1024);
  const marker = outputs.find((o) => (o.data as Record<string, unknown> | undefined)?.['application/vnd.tandem.truncated+json']);
  const info = (marker!.data as Record<string, { omittedBytes: number; url: string }>)['application/vnd.tandem.truncated+json'];
  expect(info.omittedBytes).toBeGreaterThan(0);
  const whole = await server.api('GET', info.url, undefined, viewerToken);
  expect(whole.status).toBe(200);
  expect((await whole.text()).length).toBeGreaterThan(shown);
  // Bounded, not small: the flood churns through tens of MB a second of strings, and V8
  // returns freed heap to the system lazily. Without the bounds it grew past a gigabyte.
  expect(peak - baseline).toBeLessThan(512 * 1024 * 1024);
}, 180_000);

test('a viewer, or a request without a share, cannot execute, and nothing runs', async () => {
  const before = watcher.doc.getMap('executions').size;
  expect((await server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds: ['q1'] }, viewerToken)).status).toBe(403);
  expect((await server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds: ['q1'] }, null)).status).toBe(401);
  expect((await server.api('POST', `/api/notebooks/${fileId}/restart`, undefined, viewerToken)).status).toBe(403);
  expect((await server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds: ['nope'] })).status).toBe(404);
  const markdown = await (await server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds: ['md'] })).json();
  expect(markdown).toEqual({ runs: [], skipped: ['md'] });
  // A run asked for after the refused ones has finished, so anything they had queued would show.
  const [marker] = await execute(server, fileId, ['after']);
  await waitForRun(watcher, marker.id);
  expect([...watcher.doc.getMap<ExecutionRecord>('executions').keys()].filter((id) => id !== marker.id)).toHaveLength(before);
});

function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('shutting the server down leaves no kernel process behind', async () => {
  const own = await startTandem();
  try {
    await own.api('PUT', '/api/contents/k.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'a', source: '1' }]) });
    const client = await connectNotebook(own, 'k.ipynb');
    const [run] = await execute(own, client.fileId, ['a']);
    await waitForRun(client, run.id);
    const kernels = childPids(own.process.pid!);
    expect(kernels.length).toBeGreaterThan(0);
    client.destroy();
    const names = new Map(kernels.map((pid) => [pid, commandOf(pid)]));
    expect(await own.stop('SIGTERM')).toBe(0);
    // Kernels, and any helper the server ran (a container's `podman wait`, an image listing of
    // the garbage collector), are gone when the server's exit is.
    expect(kernels.filter(alive).map((pid) => names.get(pid))).toEqual([]);
  } finally {
    await own.stop();
  }
});
