import { expect, test } from 'vitest';
import * as Y from 'yjs';
import type { NotebookJSON } from '../../common/nbformat';
import { splitLines } from '../../server/notebook/lines';
import { mergeNotebookIntoDoc } from '../../server/notebook/merge';
import { buildInitialUpdate, notebookFromDoc } from '../../server/notebook/notebook-doc';

test('lines split as Python splitlines(keepends=True) does', () => {
  expect(splitLines('')).toEqual([]);
  expect(splitLines('a\nb')).toEqual(['a\n', 'b']);
  expect(splitLines('a\r\nb\rc\n')).toEqual(['a\r\n', 'b\r', 'c\n']);
  expect(splitLines('x\u2028y\fz')).toEqual(['x\u2028', 'y\f', 'z']);
});

const notebook = (cells: { id?: string; source: string }[], minor = 5): NotebookJSON => ({
  nbformat: 4,
  nbformat_minor: minor,
  metadata: {},
  cells: cells.map((c) => ({ ...(c.id ? { id: c.id } : {}), cell_type: 'code', metadata: {}, source: c.source, outputs: [], execution_count: null })),
});

test('building a document from a file is deterministic', () => {
  const nb = notebook([{ source: 'a' }, { source: 'b' }], 4);
  expect(Buffer.from(buildInitialUpdate(nb)).equals(Buffer.from(buildInitialUpdate(nb)))).toBe(true);
});

test('merging keeps concurrent typing in cells the file did not change', () => {
  const doc = new Y.Doc();
  Y.applyUpdate(
    doc,
    buildInitialUpdate(
      notebook([
        { id: 'a', source: 'alpha' },
        { id: 'b', source: 'beta' },
      ]),
    ),
  );
  const typing = new Y.Doc();
  Y.applyUpdate(typing, Y.encodeStateAsUpdate(doc));
  ((typing.getArray('cells').get(0) as Y.Map<unknown>).get('source') as Y.Text).insert(5, '!');
  mergeNotebookIntoDoc(
    doc,
    notebook([
      { id: 'a', source: 'ALPHA alpha' },
      { id: 'b', source: 'beta' },
      { id: 'c', source: 'gamma' },
    ]),
    'file',
  );
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(typing));
  expect(notebookFromDoc(doc).cells.map((c) => c.source)).toEqual(['ALPHA alpha!', 'beta', 'gamma']);
});

test('a file without cell ids is lined up with the document by content', () => {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, buildInitialUpdate(notebook([{ source: 'one' }, { source: 'two' }, { source: 'three' }], 4)));
  const ids = notebookFromDoc(doc).cells.map((c) => c.id);
  expect(ids).toEqual([undefined, undefined, undefined]);
  const docIds = (doc.getArray('cells').toArray() as Y.Map<unknown>[]).map((c) => c.get('id'));
  mergeNotebookIntoDoc(doc, notebook([{ source: 'one' }, { source: 'two, edited' }, { source: 'three' }], 4), 'file');
  const after = (doc.getArray('cells').toArray() as Y.Map<unknown>[]).map((c) => c.get('id'));
  expect(after).toEqual(docIds);
  expect(notebookFromDoc(doc).cells.map((c) => c.source)).toEqual(['one', 'two, edited', 'three']);
});
