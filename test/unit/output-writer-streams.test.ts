// The output writer without a kernel: stream text reaches the document at once after a quiet
// spell, and text that follows within the flush interval is coalesced into one update.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import * as Y from 'yjs';
import { OutputStore } from '../../server/execution/output-store';
import { DEFAULT_OUTPUT_LIMITS, OutputWriter } from '../../server/execution/output-writer';
import { cellToYMap } from '../../server/notebook/cell-model';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(flushIntervalMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-writer-'));
  dirs.push(dir);
  const doc = new Y.Doc();
  doc.getArray('cells').push([cellToYMap({ cell_type: 'code', id: 'c1', source: '', metadata: {}, outputs: [], execution_count: null }, 'c1', 5)]);
  let updates = 0;
  doc.on('update', () => updates++);
  const writer = new OutputWriter({ doc, transact: (change) => doc.transact(change) }, new OutputStore(dir), 'file', {
    ...DEFAULT_OUTPUT_LIMITS,
    flushIntervalMs,
  });
  const text = () => {
    const cell = doc.getArray('cells').get(0) as Y.Map<unknown>;
    const outputs = cell.get('outputs') as Y.Array<Y.Map<unknown>>;
    return outputs
      .toArray()
      .map((o) => String(o.get('text')))
      .join('');
  };
  return { writer, text, updates: () => updates };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the first text of a quiet stream is written at once; what follows is coalesced until the interval ends', async () => {
  const { writer, text, updates } = setup(200);
  writer.startRun('c1', 1);
  const before = updates();
  writer.stream('c1', 'stdout', 'first\n');
  expect(text()).toBe('first\n');
  expect(updates()).toBe(before + 1);

  writer.stream('c1', 'stdout', 'second\n');
  writer.stream('c1', 'stdout', 'third\n');
  expect(text()).toBe('first\n');

  await sleep(400);
  expect(text()).toBe('first\nsecond\nthird\n');
  expect(updates()).toBe(before + 2);

  // The window closed with nothing pending: the next text is again written at once.
  await sleep(400);
  writer.stream('c1', 'stdout', 'later\n');
  expect(text()).toBe('first\nsecond\nthird\nlater\n');
  writer.dispose();
});

test('finishing a run writes whatever is still pending', () => {
  const { writer, text } = setup(60_000);
  writer.startRun('c1', 1);
  writer.stream('c1', 'stdout', 'a');
  writer.stream('c1', 'stdout', 'b');
  expect(text()).toBe('a');
  writer.finishRun('c1');
  expect(text()).toBe('ab');
  writer.dispose();
});

test("a run's first text is written at once, even while the last run's output holds the window open", () => {
  const { writer, text } = setup(60_000);
  writer.startRun('c1', 1);
  writer.stream('c1', 'stdout', 'one\n');
  writer.finishRun('c1');
  // The next run starts well within the interval the first one's output opened.
  writer.startRun('c1', 2);
  writer.stream('c1', 'stdout', 'two\n');
  expect(text()).toBe('two\n');
  writer.dispose();
});
