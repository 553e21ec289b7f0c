import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, executionCountOf, outputsOf, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let viewer: NotebookClient;
let fileId: string;

const cells = [
  { id: 'print', source: 'print("hello from the kernel")' },
  {
    id: 'png',
    source: [
      'import base64',
      'from IPython.display import Image, display',
      "PNG = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')",
      'display(Image(data=PNG))',
    ].join('\n'),
  },
  { id: 'result', source: '6 * 7' },
  { id: 'raise', source: 'raise ValueError("bad value")' },
  { id: 'progress', source: 'import sys\nfor i in range(200):\n    print(f"\\rprogress {i:3d}/199", end="")\n    sys.stdout.flush()\nprint()' },
  { id: 'flood', source: 'for i in range(100000):\n    print(i)' },
  { id: 'display', source: 'from IPython.display import display\nh = display("first version", display_id=True)' },
  { id: 'update', source: 'h.update("second version")' },
  { id: 'burst', source: 'import sys\nsys.stdout.write("y" * 3_000_000)\nsys.stdout.flush()\n1 / 0' },
  { id: 'clear', source: 'from IPython.display import clear_output\nprint("old")\nclear_output(wait=True)\nprint("new")' },
];

beforeAll(async () => {
  server = await startTandem();
  const response = await server.api('PUT', '/api/contents/outputs.ipynb', { type: 'notebook', format: 'json', content: makeNotebook(cells) });
  expect(response.status).toBe(201);
  const share = await (await server.api('POST', '/api/shares', { path: 'outputs.ipynb', role: 'viewer' })).json();
  viewer = await connectNotebook(server, 'outputs.ipynb', { token: share.token });
  fileId = viewer.fileId;
});
afterAll(async () => {
  viewer.destroy();
  await server.stop();
});

test('a viewer sees every kind of output, with the right execution counts', async () => {
  const runs = await execute(server, fileId, ['print', 'png', 'result']);
  for (const run of runs) expect((await waitForRun(viewer, run.id)).status).toBe('ok');
  expect(outputsOf(viewer, 'print')).toEqual([{ output_type: 'stream', name: 'stdout', text: 'hello from the kernel\n' }]);
  const [png] = outputsOf(viewer, 'png');
  expect(png.output_type).toBe('display_data');
  expect((png.data as Record<string, string>)['image/png']).toMatch(/^iVBORw0KGgo/);
  expect(outputsOf(viewer, 'result')).toEqual([
    { output_type: 'execute_result', execution_count: executionCountOf(viewer, 'result'), data: { 'text/plain': '42' }, metadata: {} },
  ]);
  const counts = ['print', 'png', 'result'].map((id) => executionCountOf(viewer, id));
  expect(counts[1]).toBe(counts[0]! + 1);
  expect(counts[2]).toBe(counts[0]! + 2);

  const [failing] = await execute(server, fileId, ['raise']);
  const record = await waitForRun(viewer, failing.id);
  expect(record.status).toBe('error');
  const [error] = outputsOf(viewer, 'raise');
  expect(error).toMatchObject({ output_type: 'error', ename: 'ValueError', evalue: 'bad value' });
  expect((error.traceback as string[]).join('\n')).toContain('bad value');
  expect(executionCountOf(viewer, 'raise')).toBe(counts[2]! + 1);
});

test('a progress line rewritten with \\r leaves only its last state', async () => {
  const [run] = await execute(server, fileId, ['progress']);
  await waitForRun(viewer, run.id);
  expect(outputsOf(viewer, 'progress')).toEqual([{ output_type: 'stream', name: 'stdout', text: 'progress 199/199\n' }]);
});

test('100,000 printed lines end up in one stream output, in order', async () => {
  const [run] = await execute(server, fileId, ['flood']);
  await waitForRun(viewer, run.id, undefined, 60_000);
  const outputs = outputsOf(viewer, 'flood');
  expect(outputs).toHaveLength(1);
  const lines = (outputs[0].text as string).split('\n');
  expect(lines.at(-1)).toBe('');
  expect(lines.slice(0, -1).map(Number)).toEqual(Array.from({ length: 100_000 }, (_, i) => i));
});

test('update_display_data updates a display made in an earlier cell', async () => {
  const [first] = await execute(server, fileId, ['display']);
  await waitForRun(viewer, first.id);
  expect(outputsOf(viewer, 'display')[0]).toMatchObject({ data: { 'text/plain': "'first version'" } });
  const [second] = await execute(server, fileId, ['update']);
  await waitForRun(viewer, second.id);
  await eventually(() => expect(outputsOf(viewer, 'display')[0]).toMatchObject({ data: { 'text/plain': "'second version'" } }));
  expect(outputsOf(viewer, 'update')).toEqual([]);
});

test('clear_output(wait=True) clears when the next output arrives', async () => {
  const [run] = await execute(server, fileId, ['clear']);
  await waitForRun(viewer, run.id);
  expect(outputsOf(viewer, 'clear')).toEqual([{ output_type: 'stream', name: 'stdout', text: 'new\n' }]);
});

test('a burst larger than the cap keeps its head in the cell, and the error after it still shows', async () => {
  const [run] = await execute(server, fileId, ['burst']);
  expect((await waitForRun(viewer, run.id)).status).toBe('error');
  const outputs = outputsOf(viewer, 'burst');
  expect(outputs[0]).toMatchObject({ output_type: 'stream', name: 'stdout' });
  expect(String(outputs[0].text)).toBe('y'.repeat(2 * 1024 * 1024));
  const marker = (outputs[1].data as Record<string, { omittedBytes: number; totalBytes: number }>)['application/vnd.tandem.truncated+json'];
  expect(marker.totalBytes).toBe(3_000_000);
  expect(marker.omittedBytes).toBe(3_000_000 - 2 * 1024 * 1024);
  expect(outputs.at(-1)).toMatchObject({ output_type: 'error', ename: 'ZeroDivisionError' });
});

test('the installed kernels are listed in the Jupyter Server shape', async () => {
  const listing = await (await server.api('GET', '/api/kernelspecs')).json();
  expect(listing.default).toBe('python3');
  expect(listing.kernelspecs.python3.spec).toMatchObject({ language: 'python', env: {} });
  expect(listing.kernelspecs.python3.spec.display_name).toMatch(/Python/);
  expect((await server.api('GET', '/api/kernelspecs', undefined, null)).status).toBe(401);
});
