// What a client may write, judged on the update alone before it is applied (DESIGN.md 3).
import { YNotebook } from '@jupyter/ydoc';
import { expect, test } from 'vitest';
import * as Y from 'yjs';
import { judgeClientUpdate, refusalOf, restoreStaleCopies } from '../../server/protocol/client-writes';

const OUTPUTS = [
  { output_type: 'stream', name: 'stdout', text: 'hello\n' },
  { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '42' }, metadata: {} },
  { output_type: 'display_data', data: { 'image/png': 'iVBORw0KGgo=', 'text/plain': '<Figure>' }, metadata: { 'image/png': { width: 10 } } },
  { output_type: 'error', ename: 'ValueError', evalue: 'no', traceback: ['\u001b[31mValueError\u001b[0m: no'] },
];

/** The server's document with three cells (the middle one with outputs), and a client synced to it. */
function setup() {
  const server = new YNotebook();
  server.insertCells(0, [
    { id: 'a', cell_type: 'markdown', source: '# Title', metadata: {} },
    { id: 'b', cell_type: 'code', source: 'print("hello")', metadata: {}, outputs: OUTPUTS, execution_count: 3 },
    { id: 'c', cell_type: 'code', source: 'x = 1', metadata: {}, outputs: [], execution_count: null },
  ]);
  server.ydoc.getMap('kernel').set('status', 'idle');
  const client = new YNotebook();
  Y.applyUpdate(client.ydoc, Y.encodeStateAsUpdate(server.ydoc));
  return { server, client };
}

/** What the server says to the client's change; an accepted change is applied, as the room does. */
function judge(server: YNotebook, client: YNotebook, change: () => void): string | undefined {
  const before = Y.encodeStateVector(client.ydoc);
  client.transact(change);
  const update = Y.encodeStateAsUpdate(client.ydoc, before);
  const verdict = judgeClientUpdate(server.ydoc, Y.decodeUpdate(update));
  if (verdict.refusal !== undefined) return verdict.refusal;
  Y.applyUpdate(server.ydoc, update);
  restoreStaleCopies(server.ydoc, verdict.staleCopies);
  return undefined;
}

test('typing, new cells, deleting cells, metadata and state are allowed', () => {
  const { server, client } = setup();
  expect(judge(server, client, () => client.getCell(1).updateSource(0, 0, '# run me\n'))).toBeUndefined();
  expect(judge(server, client, () => client.insertCell(3, { cell_type: 'code', source: 'y = 2' }))).toBeUndefined();
  expect(judge(server, client, () => client.deleteCell(1))).toBeUndefined();
  expect(judge(server, client, () => client.setMetadata({ tags: ['x'] } as never))).toBeUndefined();
  expect(judge(server, client, () => client.ydoc.getMap('state').set('dirty', true))).toBeUndefined();
});

test("@jupyter/ydoc's moveCells keeps a cell's outputs and count, and is allowed", () => {
  const { server, client } = setup();
  expect(judge(server, client, () => client.moveCell(1, 2))).toBeUndefined();
  expect(judge(server, client, () => client.moveCells(0, 2, 2))).toBeUndefined();
});

test('a move by Y.Map clone, as the browser client does it, is allowed', () => {
  const { server, client } = setup();
  const cells = client.ydoc.getArray<Y.Map<unknown>>('cells');
  expect(
    judge(server, client, () => {
      const clone = cells.get(1).clone();
      cells.delete(1, 1);
      cells.insert(2, [clone]);
    }),
  ).toBeUndefined();
});

test('clearing outputs and resetting the count is allowed', () => {
  const { server, client } = setup();
  expect(
    judge(server, client, () => {
      const cell = client.ydoc.getArray<Y.Map<unknown>>('cells').get(1);
      (cell.get('outputs') as Y.Array<unknown>).delete(0, OUTPUTS.length);
      cell.set('execution_count', null);
    }),
  ).toBeUndefined();
});

test('inserting, changing or removing part of an output is refused', () => {
  const { server, client } = setup();
  const cell = () => client.ydoc.getArray<Y.Map<unknown>>('cells').get(1);
  const outputs = () => cell().get('outputs') as Y.Array<Y.Map<unknown>>;
  expect(
    judge(server, client, () =>
      outputs().push([
        new Y.Map([
          ['output_type', 'stream'],
          ['name', 'stdout'],
          ['text', new Y.Text('fake')],
        ]),
      ]),
    ),
  ).toMatch(/outputs/);
  const fresh = () => setup();
  {
    const { server, client } = fresh();
    const out = () => (client.ydoc.getArray<Y.Map<unknown>>('cells').get(1).get('outputs') as Y.Array<Y.Map<unknown>>).get(0);
    expect(judge(server, client, () => (out().get('text') as Y.Text).insert(0, 'forged '))).toMatch(/outputs/);
  }
  {
    const { server, client } = fresh();
    const out = () => (client.ydoc.getArray<Y.Map<unknown>>('cells').get(1).get('outputs') as Y.Array<Y.Map<unknown>>).get(1);
    expect(judge(server, client, () => out().set('data', { 'text/plain': '43' }))).toMatch(/outputs/);
  }
  {
    const { server, client } = fresh();
    expect(judge(server, client, () => client.ydoc.getArray<Y.Map<unknown>>('cells').get(1).set('outputs', new Y.Array()))).toMatch(/outputs/);
  }
});

test('setting an execution count or state is refused', () => {
  const { server, client } = setup();
  const cell = () => client.ydoc.getArray<Y.Map<unknown>>('cells').get(2);
  expect(judge(server, client, () => cell().set('execution_count', 7))).toMatch(/execution_count/);
  const second = setup();
  expect(judge(second.server, second.client, () => second.client.ydoc.getArray<Y.Map<unknown>>('cells').get(1).delete('execution_count'))).toMatch(
    /execution_count/,
  );
  const third = setup();
  expect(judge(third.server, third.client, () => third.client.ydoc.getArray<Y.Map<unknown>>('cells').get(2).set('execution_state', 'running'))).toMatch(
    /execution_state/,
  );
});

test('a new cell that brings outputs or a count is refused, unless it is a move', () => {
  const { server, client } = setup();
  expect(
    judge(server, client, () => client.insertCell(0, { cell_type: 'code', source: 'print(1)', outputs: OUTPUTS.slice(0, 1), execution_count: null })),
  ).toMatch(/new cell/);
  const second = setup();
  expect(judge(second.server, second.client, () => second.client.insertCell(0, { cell_type: 'code', source: '', execution_count: 9 }))).toMatch(/new cell/);
  // A cell that takes a deleted cell's outputs under another id is no move.
  const fourth = setup();
  expect(
    judge(fourth.server, fourth.client, () => {
      const json = fourth.client.getCell(1).toJSON();
      fourth.client.deleteCell(1);
      fourth.client.insertCell(1, { ...json, id: 'other' } as never);
    }),
  ).toMatch(/new cell/);
});

test("writes to the server's maps and unknown top-level types are refused", () => {
  for (const name of ['kernel', 'executions', 'queries', 'jobs']) {
    const { server, client } = setup();
    expect(judge(server, client, () => client.ydoc.getMap(name).set('forged', { status: 'ok' }))).toMatch(new RegExp(`${name} map`));
  }
  const { server, client } = setup();
  expect(judge(server, client, () => client.ydoc.getMap('kernel').delete('status'))).toMatch(/kernel map/);
  expect(judge(server, client, () => client.ydoc.getText('anything').insert(0, 'x'))).toMatch(/not part of the notebook schema/);
});

test('an update that follows a refused one is refused too, rather than parked as pending', () => {
  const { server, client } = setup();
  client.ydoc.getMap('kernel').set('status', 'busy'); // never reaches the server
  expect(judge(server, client, () => client.getCell(0).updateSource(0, 0, 'x'))).toMatch(/depends on changes/);
});

test('repeating content the server already has does not hide a new output in an existing cell', () => {
  const { server, client } = setup();
  (client.ydoc.getArray<Y.Map<unknown>>('cells').get(2).get('outputs') as Y.Array<unknown>).push([new Y.Map([['output_type', 'stream']])]);
  // The whole client state, including the cells the server already has.
  expect(refusalOf(server.ydoc, Y.decodeUpdate(Y.encodeStateAsUpdate(client.ydoc)))).toMatch(/outputs/);
});

test('a long run of separate edits, as after working offline, is judged without overflowing the stack', () => {
  const { server, client } = setup();
  // Each insert at the start names the one before it as its neighbour: a chain as long as the update.
  expect(
    judge(server, client, () => {
      const source = client.ydoc.getArray<Y.Map<unknown>>('cells').get(2).get('source') as Y.Text;
      for (let i = 0; i < 50_000; i++) source.insert(0, i % 2 ? 'a' : 'b');
    }),
  ).toBeUndefined();
  expect(server.getCell(2).getSource()).toHaveLength('x = 1'.length + 50_000);
});

test("a moved cell's copy that differs from what the server holds (a move during a run) ends with the server's outputs", () => {
  const { server, client } = setup();
  const cells = client.ydoc.getArray<Y.Map<unknown>>('cells');
  const forged = [{ output_type: 'stream', name: 'stdout', text: 'forged\n' }];
  expect(
    judge(server, client, () => {
      const json = client.getCell(1).toJSON() as { outputs: unknown[] };
      cells.delete(1, 1);
      client.insertCell(2, { ...json, outputs: forged, execution_count: 99 } as never);
    }),
  ).toBeUndefined();
  expect(server.cells.map((c) => c.getId())).toEqual(['a', 'c', 'b']);
  expect(server.getCell(2).toJSON()).toMatchObject({ outputs: OUTPUTS, execution_count: 3 });
});
