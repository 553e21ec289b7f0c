// Changes that make valid Yjs updates with hostile content for a notebook document: what a
// modified client could send through a perfectly well-formed sync message.
import * as Y from 'yjs';
import { cellsOf, newCell } from '../lib/cells.js';
import type { Rng } from '../lib/random.js';

export interface HostileEdit {
  name: string;
  apply(doc: Y.Doc, rng: Rng): void;
}

function firstSource(doc: Y.Doc): Y.Text | null {
  const s = cellsOf(doc).get(0)?.get('source');
  return s instanceof Y.Text ? s : null;
}

export const HOSTILE_EDITS: HostileEdit[] = [
  {
    name: 'huge string in a source (8 MB)',
    apply: (doc) => firstSource(doc)?.insert(0, 'x'.repeat(8 * 1024 * 1024)),
  },
  {
    name: 'deep nesting in cell metadata (20,000 maps)',
    apply(doc) {
      const cell = cellsOf(doc).get(0);
      if (!cell) return;
      doc.transact(() => {
        const top = new Y.Map<unknown>();
        cell.set('metadata', top);
        let m = top;
        for (let i = 0; i < 20_000; i++) {
          const next = new Y.Map<unknown>();
          m.set('a', next);
          m = next;
        }
      });
    },
  },
  {
    name: 'deeply nested JSON value in metadata (5,000 levels)',
    apply(doc) {
      let v: unknown = 1;
      for (let i = 0; i < 5000; i++) v = [v];
      const meta = cellsOf(doc).get(0)?.get('metadata');
      if (meta instanceof Y.Map) meta.set('deep', v);
    },
  },
  {
    name: 'cell of an unknown type',
    apply: (doc) => {
      const cell = newCell('evil');
      cell.set('cell_type', 'exploit');
      cellsOf(doc).insert(0, [cell]);
    },
  },
  {
    name: 'source that is a map, not text',
    apply: (doc) => {
      const cell = newCell('');
      cell.set('source', new Y.Map());
      cellsOf(doc).push([cell]);
    },
  },
  {
    name: 'source that is a number',
    apply: (doc) => cellsOf(doc).get(0)?.set('source', 42),
  },
  {
    name: 'cells holding a string, a number and an array',
    apply: (doc) => (cellsOf(doc) as unknown as Y.Array<unknown>).push(['not a cell', 7, new Y.Array()]),
  },
  {
    name: 'cell without id and with a bad id',
    apply: (doc) => {
      const a = newCell('no id');
      a.delete('id');
      const b = newCell('bad id');
      b.set('id', '../../etc/passwd with spaces');
      cellsOf(doc).push([a, b]);
    },
  },
  {
    name: 'duplicate cell ids',
    apply: (doc) => {
      const id = String(cellsOf(doc).get(0)?.get('id') ?? 'x');
      const c = newCell('dup');
      c.set('id', id);
      cellsOf(doc).push([c]);
    },
  },
  {
    name: 'outputs and execution count written by a client',
    apply: (doc) => {
      const cell = cellsOf(doc).get(0);
      if (!cell) return;
      const outputs = new Y.Array<unknown>();
      outputs.push([{ output_type: 'stream', name: 'stdout', text: 'forged' }]);
      cell.set('outputs', outputs);
      cell.set('execution_count', 999);
    },
  },
  {
    name: 'forged kernel and execution state (server-owned maps)',
    apply: (doc) => {
      doc.getMap('kernel').set('status', 'dead');
      doc.getMap('executions').set('forged', { id: 'forged', status: 'running', source: 'import os' });
      doc.getMap('queries').set('x', { rows: 1 });
    },
  },
  {
    name: 'notebook meta of the wrong types',
    apply: (doc) => {
      const meta = doc.getMap('meta');
      meta.set('nbformat', 'four');
      meta.set('nbformat_minor', -1);
      meta.set('metadata', 5);
    },
  },
  {
    name: 'unknown top-level types',
    apply: (doc) => {
      doc.getText('evil').insert(0, 'x'.repeat(1000));
      doc.getArray('junk').push(Array.from({ length: 1000 }, (_, i) => i));
    },
  },
  {
    name: 'ten thousand cells at once',
    apply: (doc) => cellsOf(doc).push(Array.from({ length: 10_000 }, (_, i) => newCell(`c${i}`))),
  },
  {
    name: 'delete every cell',
    apply: (doc) => cellsOf(doc).delete(0, cellsOf(doc).length),
  },
  {
    name: 'random typing and deleting',
    apply: (doc, rng) => {
      const s = firstSource(doc);
      if (!s) return;
      for (let i = 0; i < 50; i++) {
        if (rng.next() < 0.7 || s.length === 0) s.insert(rng.int(s.length + 1), String.fromCharCode(32 + rng.int(0xd000)));
        else s.delete(rng.int(s.length), 1);
      }
    },
  },
];
