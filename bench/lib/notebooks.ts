// Notebooks the workloads run on, built from the real notebooks in ../shared/corpus so that
// sizes and shapes (long sources, PNG outputs, HTML tables) are those of real work.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as Y from 'yjs';
import { YNotebook } from '@jupyter/ydoc';

// The shared corpus sits beside the checkout; CI may check out elsewhere on the same machine.
export const CORPUS_DIR = join(
  [process.env.TANDEM_CORPUS, resolve(import.meta.dirname, '../../../shared/corpus'), '/work/shared/corpus'].find(
    (dir): dir is string => Boolean(dir) && existsSync(join(dir!, 'notebooks')),
  ) ?? resolve(import.meta.dirname, '../../../shared/corpus'),
  'notebooks',
);

export interface NotebookJson {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Array<Record<string, unknown> & { id?: string; cell_type: string; source: string | string[] }>;
}

export function readCorpusNotebook(file: string): NotebookJson {
  return JSON.parse(readFileSync(join(CORPUS_DIR, file), 'utf8')) as NotebookJson;
}

const METADATA = {
  kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
  language_info: { name: 'python' },
};

/** Gives every cell a fresh, unique nbformat 4.5 id, so copies of cells never collide. */
function renumber(cells: NotebookJson['cells'], prefix: string): NotebookJson['cells'] {
  return cells.map((c, i) => ({ ...c, id: `${prefix}-${i}` }));
}

/**
 * A notebook of at least `targetBytes` of JSON, made of the Python Data Science Handbook
 * chapters in order (their cells, sources and outputs unchanged, ids renumbered).
 */
export function largeNotebook(targetBytes: number): NotebookJson {
  const files = readdirSync(CORPUS_DIR)
    .filter((f) => f.startsWith('pdsh-') && f.endsWith('.ipynb'))
    .sort();
  const cells: NotebookJson['cells'] = [];
  let bytes = 0;
  // Repeat the corpus if asked for more than it holds; renumbering keeps ids unique.
  for (let round = 0; bytes < targetBytes; round++) {
    for (const f of files) {
      for (const cell of readCorpusNotebook(f).cells) {
        cells.push(cell);
        bytes += JSON.stringify(cell).length;
        if (bytes >= targetBytes) break;
      }
      if (bytes >= targetBytes) break;
    }
    if (round > 20) throw new Error('corpus is empty');
  }
  return { nbformat: 4, nbformat_minor: 5, metadata: METADATA, cells: renumber(cells, 'big') };
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

/** A corpus notebook upgraded to 4.5 ids, for footprint and conformance runs. */
export function corpusNotebook45(file: string): NotebookJson {
  const nb = readCorpusNotebook(file);
  return { nbformat: 4, nbformat_minor: 5, metadata: nb.metadata, cells: renumber(nb.cells, 'nb') };
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
