// The browser client's undo of structural edits never makes the server refuse it: undoing
// never brings back outputs or counts the server did not vouch for (DESIGN.md section 3).
import { type YCodeCell, YNotebook } from '@jupyter/ydoc';
import { expect, test } from 'vitest';
import * as Y from 'yjs';
import { CellUndo } from '../../client/src/lib/notebook/cell-undo';
import { judgeClientUpdate, refusalOf, restoreStaleCopies } from '../../server/protocol/client-writes';

const LOCAL = Symbol('local');
const OUTPUTS = [{ output_type: 'stream', name: 'stdout', text: 'hello\n' }];

function setup() {
  const server = new YNotebook();
  server.insertCells(0, [
    { id: 'a', cell_type: 'code', source: 'a = 1', metadata: {}, outputs: [], execution_count: null },
    { id: 'b', cell_type: 'code', source: 'print("hello")', metadata: {}, outputs: OUTPUTS, execution_count: 3 },
    { id: 'c', cell_type: 'markdown', source: '# c', metadata: {} },
  ]);
  const client = new YNotebook();
  Y.applyUpdate(client.ydoc, Y.encodeStateAsUpdate(server.ydoc));
  const cells = client.ydoc.getArray<Y.Map<unknown>>('cells');
  const undo = new CellUndo(cells, LOCAL);
  /** Runs a client change and sends it to the server, which must accept it. */
  const sync = (change: () => void, origin: unknown = LOCAL) => {
    const before = Y.encodeStateVector(client.ydoc);
    client.ydoc.transact(change, origin);
    undo.manager.stopCapturing();
    const update = Y.encodeStateAsUpdate(client.ydoc, before);
    expect(refusalOf(server.ydoc, Y.decodeUpdate(update))).toBeUndefined();
    Y.applyUpdate(server.ydoc, update);
  };
  /** Runs an undo or redo and sends it, as the room would take it: applied, then stale copies set back. */
  const step = (run: () => void) => {
    const before = Y.encodeStateVector(client.ydoc);
    run();
    const update = Y.encodeStateAsUpdate(client.ydoc, before);
    const verdict = judgeClientUpdate(server.ydoc, Y.decodeUpdate(update));
    expect(verdict.refusal).toBeUndefined();
    Y.applyUpdate(server.ydoc, update);
    if (verdict.refusal === undefined) restoreStaleCopies(server.ydoc, verdict.staleCopies);
  };
  const ids = () => server.cells.map((c) => c.getId());
  const cell = (id: string) => server.cells.find((c) => c.getId() === id)!.toJSON() as { outputs?: unknown[]; execution_count?: number | null };
  return { server, client, cells, undo, sync, step, ids, cell };
}

test('undoing the deletion of a cell that has outputs brings it back without them', () => {
  const { cells, undo, sync, step, ids, cell } = setup();
  sync(() => cells.delete(1, 1));
  expect(ids()).toEqual(['a', 'c']);
  step(() => undo.undo());
  expect(ids()).toEqual(['a', 'b', 'c']);
  expect(cell('b')).toMatchObject({ source: 'print("hello")', outputs: [], execution_count: null });
  step(() => undo.redo());
  expect(ids()).toEqual(['a', 'c']);
});

test('undoing a move puts the cell back with its outputs, and redo moves it again', () => {
  const { cells, undo, sync, step, ids, cell } = setup();
  sync(() => {
    const clone = cells.get(1).clone();
    cells.delete(1, 1);
    cells.insert(2, [clone]);
  });
  expect(ids()).toEqual(['a', 'c', 'b']);
  step(() => undo.undo());
  expect(ids()).toEqual(['a', 'b', 'c']);
  expect(cell('b')).toMatchObject({ outputs: OUTPUTS, execution_count: 3 });
  step(() => undo.redo());
  expect(ids()).toEqual(['a', 'c', 'b']);
  expect(cell('b')).toMatchObject({ outputs: OUTPUTS, execution_count: 3 });
});

test('undoing a move after the cell ran again puts it back with its newest outputs', () => {
  const { server, cells, undo, sync, step, ids, cell } = setup();
  sync(() => {
    const clone = cells.get(1).clone();
    cells.delete(1, 1);
    cells.insert(2, [clone]);
  });
  // The server runs the moved cell again; the client receives the new outputs.
  const before = Y.encodeStateVector(server.ydoc);
  (server.getCell(2) as YCodeCell).setOutputs([{ output_type: 'stream', name: 'stdout', text: 'again\n' }]);
  Y.applyUpdate(cells.doc!, Y.encodeStateAsUpdate(server.ydoc, before));
  step(() => undo.undo());
  expect(ids()).toEqual(['a', 'b', 'c']);
  expect(cell('b').outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'again\n' }]);
});

test('undoing Clear outputs does not bring the outputs or the count back', () => {
  const { cells, undo, sync, step, cell } = setup();
  sync(() => {
    const b = cells.get(1);
    (b.get('outputs') as Y.Array<unknown>).delete(0, 1);
    b.set('execution_count', null);
  });
  step(() => undo.undo());
  expect(cell('b')).toMatchObject({ outputs: [], execution_count: null });
});
