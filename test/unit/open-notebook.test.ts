// An open notebook's life, driven directly (no HTTP), with its history in memory behind the
// DocStorage seam and a real ipykernel: load, a run, staying loaded while the kernel holds
// state, unloading into storage, and reloading from it.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as Y from 'yjs';
import { EXECUTIONS_MAP, type ExecutionRecord, KERNEL_MAP } from '../../common/doc-schema';
import { RootPaths } from '../../server/contents/paths';
import { EnvironmentService } from '../../server/environments/environment-service';
import { OutputStore } from '../../server/execution/output-store';
import { DEFAULT_OUTPUT_LIMITS } from '../../server/execution/output-writer';
import type { NotebookExtension } from '../../server/notebooks/notebook-extension';
import { OpenNotebooks } from '../../server/notebooks/open-notebooks';
import { projectPath } from '../../server/project-files';
import { FileIdIndex } from '../../server/storage/file-ids';
import { MemoryDocStorage } from '../../server/storage/memory-doc-storage';
import { eventually } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';

const log = pino({ level: 'silent' });
const user = { username: 'ada', name: 'Ada', color: '#123456' };
let base: string;
let environments: EnvironmentService;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'tandem-open-notebook-'));
  environments = new EnvironmentService({
    cacheDir: join(base, 'envs'),
    installer: 'auto',
    warmPool: 0,
    gcMs: 0,
    defaultKernel: 'python3',
    helperDir: projectPath('images', 'tandem-helper'),
    logger: log,
  });
});
afterAll(async () => {
  await environments.close();
});

interface Setup {
  notebooks: OpenNotebooks;
  storage: MemoryDocStorage;
  fileId: string;
  /** Every notebook an extension was attached to, and unloaded from, in order. */
  lifecycle: string[];
}

function setup(name: string, graceMs: number, cells = [{ id: 'a', source: 'x = 41\nprint(x + 1)' }]): Setup {
  const root = join(base, name, 'root');
  const stateDir = join(base, name, 'state');
  mkdirSync(root, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(root, 'n.ipynb'), JSON.stringify(makeNotebook(cells)));
  const fileIds = new FileIdIndex(stateDir);
  const storage = new MemoryDocStorage();
  const lifecycle: string[] = [];
  const recorder: NotebookExtension = {
    attach: (notebook) => {
      lifecycle.push(`load ${notebook.fileId}`);
      return { unload: () => void lifecycle.push(`unload ${notebook.fileId}`) };
    },
  };
  const notebooks = new OpenNotebooks({
    paths: new RootPaths(root),
    fileIds,
    storage,
    stateDir,
    services: {
      environments,
      outputs: new OutputStore(join(stateDir, 'outputs')),
      limits: DEFAULT_OUTPUT_LIMITS,
      extensions: [recorder],
      log,
      saveDelayMs: 10,
      saveMaxDelayMs: 50,
      compactBytes: 1 << 20,
    },
    graceMs,
    watchIntervalMs: 60_000,
    cullIdleMs: 0,
  });
  return { notebooks, storage, fileId: fileIds.ensure('n.ipynb'), lifecycle };
}

function records(doc: Y.Doc): ExecutionRecord[] {
  return [...doc.getMap<ExecutionRecord>(EXECUTIONS_MAP).values()];
}

function streamText(doc: Y.Doc, cellId: string): string {
  const cell = doc
    .getArray<Y.Map<unknown>>('cells')
    .toArray()
    .find((c) => c.get('id') === cellId)!;
  const outputs = cell.get('outputs') as Y.Array<unknown>;
  return outputs
    .toArray()
    .map((output) => {
      const text = output instanceof Y.Map ? output.get('text') : (output as { text?: unknown }).text;
      return text instanceof Y.Text ? text.toString() : String(text ?? '');
    })
    .join('');
}

test('concurrent opens share one load, and each extension attaches once', async () => {
  const { notebooks, fileId, lifecycle } = setup('concurrent', 60_000);
  const [first, second] = await Promise.all([notebooks.open(fileId), notebooks.open(fileId)]);
  expect(first).toBe(second);
  expect(lifecycle).toEqual([`load ${fileId}`]);
  await notebooks.closeAll();
  expect(lifecycle).toEqual([`load ${fileId}`, `unload ${fileId}`]);
});

test('a run writes its record and output into the document, and the history in storage keeps them after unload', async () => {
  const { notebooks, storage, fileId } = setup('run', 60_000);
  const notebook = await notebooks.open(fileId);
  const sessionId = notebook.sessionId;
  const { runs } = await notebook.kernel().execute(['a'], user);
  expect(runs).toHaveLength(1);
  await eventually(() => expect(records(notebook.room.doc).map((r) => r.status)).toEqual(['ok']), 30_000);
  expect(streamText(notebook.room.doc, 'a')).toBe('42\n');
  expect(records(notebook.room.doc)[0]).toMatchObject({ cellId: 'a', requestedBy: user, source: 'x = 41\nprint(x + 1)' });

  await notebooks.unload(fileId);
  expect(notebooks.get(fileId)).toBeUndefined();
  const stored = (await storage.load(fileId))!;
  const doc = new Y.Doc();
  for (const update of stored.updates) Y.applyUpdate(doc, update);
  expect(streamText(doc, 'a')).toBe('42\n');
  expect(stored.meta.sessionId).toBe(sessionId);
  // The kernel went with the notebook, and the document says so.
  expect(doc.getMap(KERNEL_MAP).get('status')).toBe('shutdown');

  const reopened = await notebooks.open(fileId);
  expect(reopened.sessionId).toBe(sessionId);
  expect(streamText(reopened.room.doc, 'a')).toBe('42\n');
  await notebooks.closeAll();
});

test('a released notebook whose kernel holds state stays loaded, and unloads once the kernel stops', async () => {
  const cells = [
    { id: 'set', source: 'state = "kept"' },
    { id: 'get', source: 'print(state)' },
  ];
  const { notebooks, fileId, lifecycle } = setup('hold', 1, cells);
  const notebook = await notebooks.open(fileId);
  await notebook.kernel().execute(['set'], user);
  await eventually(() => expect(records(notebook.room.doc).map((r) => r.status)).toEqual(['ok']), 30_000);
  notebooks.release(fileId);

  // A second run takes far longer than the 1 ms grace period: had the release unloaded the
  // notebook, its kernel (and `state`) would be gone.
  await notebook.kernel().execute(['get'], user);
  await eventually(() => expect(streamText(notebook.room.doc, 'get')).toBe('kept\n'), 30_000);
  expect(notebooks.get(fileId)).toBe(notebook);
  expect(lifecycle).toEqual([`load ${fileId}`]);

  await notebook.kernel().shutdown();
  await eventually(() => expect(notebooks.get(fileId)).toBeUndefined());
  expect(lifecycle).toEqual([`load ${fileId}`, `unload ${fileId}`]);
  await notebooks.closeAll();
});

test('opening a notebook with no file gives a not-found error, and opening after shutdown is refused as unavailable', async () => {
  const { notebooks } = setup('errors', 60_000);
  await expect(notebooks.open('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ kind: 'not_found' });
  await notebooks.closeAll();
  await expect(notebooks.open('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ kind: 'unavailable' });
});
