// Builds an open notebook's document: from its stored history when there is one, otherwise
// from the .ipynb, deterministically and under a new sessionId, so that clients holding an old
// lineage are told to reload instead of merging into duplicates (DESIGN.md section 9).

import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as Y from 'yjs';
import { invalid, notFound } from '../errors';
import { buildInitialUpdate } from '../notebook/notebook-doc';
import { InvalidNotebookError, type ReadNotebook, readNotebookJSON } from '../notebook/validate';
import type { RoomLogger } from '../rooms/room';
import type { DocHistory, DocMeta, DocStorage } from '../storage/doc-storage';

export async function loadDocument(fileId: string, absolutePath: string, storage: DocStorage, log: RoomLogger): Promise<{ doc: Y.Doc; history: DocHistory }> {
  const doc = new Y.Doc({ gc: true });
  const stored = await storage.load(fileId);
  if (stored) {
    doc.transact(() => {
      for (const update of stored.updates) Y.applyUpdate(doc, update);
    });
    if (stored.tornBytes) log.warn({ fileId, tornBytes: stored.tornBytes }, 'cut a torn record from the update log');
    return { doc, history: stored.history };
  }
  return { doc, history: await rebuild(fileId, absolutePath, doc, storage, log) };
}

async function rebuild(fileId: string, absolutePath: string, doc: Y.Doc, storage: DocStorage, log: RoomLogger): Promise<DocHistory> {
  const { initial, meta } = await buildFromFile(fileId, absolutePath, log);
  Y.applyUpdate(doc, initial);
  return storage.create(meta, initial);
}

/** A new lineage built from the .ipynb: its initial state, under a new sessionId. */
export async function buildFromFile(fileId: string, absolutePath: string, log: RoomLogger): Promise<{ initial: Uint8Array; meta: DocMeta }> {
  let text: string;
  try {
    text = await readFile(absolutePath, 'utf8');
  } catch {
    throw notFound('The notebook file does not exist');
  }
  let notebook: ReadNotebook['notebook'];
  try {
    const read = readNotebookJSON(JSON.parse(text));
    for (const warning of read.warnings) log.warn({ fileId, warning }, 'notebook bends the nbformat schema');
    notebook = read.notebook;
  } catch (error) {
    if (error instanceof InvalidNotebookError) throw invalid(error.message, 'invalid_notebook');
    throw invalid('The notebook file is not valid JSON', 'invalid_notebook');
  }
  const initial = buildInitialUpdate(notebook);
  return {
    initial,
    meta: { fileId, sessionId: randomUUID(), createdAt: new Date().toISOString(), savedHash: createHash('sha256').update(text).digest('hex') },
  };
}
