// Notebooks the workloads run on. The large ones are made up (synthetic-notebook.ts) with the
// sizes and shapes of real work: long sources, PNG figures, HTML tables, tracebacks.

import { YNotebook } from '@jupyter/ydoc';
import type * as Y from 'yjs';
import { syntheticNotebook } from './synthetic-notebook.js';

export interface NotebookJson {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Array<Record<string, unknown> & { id?: string; cell_type: string; source: string | string[] }>;
}

const METADATA = {
  kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
  language_info: { name: 'python' },
};

/** Gives every cell a fresh, unique nbformat 4.5 id, so copies of cells never collide. */
function renumber(cells: NotebookJson['cells'], prefix: string): NotebookJson['cells'] {
  return cells.map((c, i) => ({ ...c, id: `${prefix}-${i}` }));
}

/** A notebook of at least `targetBytes` of cell JSON, the same on every run (one seed). */
export function largeNotebook(targetBytes: number): NotebookJson {
  return syntheticNotebook({ seed: 1, targetBytes, idPrefix: 'big' });
}

/** `count` short code cells: one per editor in the typing workloads. */
export function typingNotebook(count: number): NotebookJson {
  const cells = Array.from({ length: count }, (_, i) => ({
    cell_type: 'code',
    execution_count: null,
    metadata: {},
    outputs: [],
    source: `# cell ${i}\n`,
  }));
  return { nbformat: 4, nbformat_minor: 5, metadata: METADATA, cells: renumber(cells, 'type') };
}

/** Code cells with the given ids and sources, no outputs: the kernel workloads' notebooks. */
export function codeNotebook(cells: Array<{ id: string; source: string }>, metadata: Record<string, unknown> = {}): NotebookJson {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { ...METADATA, ...metadata },
    cells: cells.map(({ id, source }) => ({ id, cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
  };
}

/** A notebook of about `targetBytes` with every kind of cell and output, for footprint, conformance and fuzz runs. */
export function sizedNotebook(targetBytes: number, seed = 2): NotebookJson {
  return syntheticNotebook({ seed, targetBytes, idPrefix: 'nb' });
}

/**
 * The notebook as a Y.Doc in @jupyter/ydoc's YNotebook schema: what a Jupyter client would
 * push into a server that has no notebook loader of its own (the y-websocket and Hocuspocus
 * peers, and the floor).
 */
export function notebookDoc(nb: NotebookJson): Y.Doc {
  // YNotebook ignores a `ydoc` passed to its constructor, so take the one it makes.
  const model = new YNotebook();
  // Building standalone cells makes Yjs warn once per cell ("Invalid access: Add Yjs type to a
  // document before reading data"); harmless, but thousands of lines for a large notebook.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('Invalid access')) warn(...args);
  };
  try {
    // fromJSON mutates its argument; hand it a copy.
    model.fromJSON(structuredClone(nb) as unknown as Parameters<YNotebook['fromJSON']>[0]);
  } finally {
    console.warn = warn;
  }
  return model.ydoc;
}

/** The parts of a document that users see, for equality checks across replicas. */
export function docContent(doc: Y.Doc): { cells: unknown; meta: unknown } {
  return { cells: doc.getArray('cells').toJSON(), meta: doc.getMap('meta').toJSON() };
}
