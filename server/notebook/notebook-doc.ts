// Whole-notebook conversion between nbformat JSON and a Y.Doc in the @jupyter/ydoc schema.
// Building from a file is deterministic (fixed client id, content-derived cell ids), so two
// builds of the same file produce the same history.

import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import { FILE_FACTS_KEY } from '../../common/doc-schema';
import { isJSONObject, type JSONObject, type NotebookJSON } from '../../common/nbformat';
import { cellFromYMap, cellToYMap, metadataToYMap } from './cell-model';

/** The Yjs client id that writes a history rebuilt from a file. */
export const REBUILD_CLIENT_ID = 1;

interface NotebookFacts {
  extra?: JSONObject;
}

const NOTEBOOK_FIELDS = new Set(['nbformat', 'nbformat_minor', 'metadata', 'cells']);

/** Unique ids for every cell: the file's own, or ones derived from position and content. */
export function assignCellIds(nb: NotebookJSON): string[] {
  const taken = new Set(nb.cells.map((c) => c.id).filter((id): id is string => typeof id === 'string'));
  return nb.cells.map((cell, index) => {
    if (typeof cell.id === 'string') return cell.id;
    const digest = createHash('sha256')
      .update(`${index}\0${String(cell.source ?? '')}`)
      .digest('hex');
    let id = digest.slice(0, 8);
    for (let n = 1; taken.has(id); n++) id = `${digest.slice(0, 8)}-${n}`;
    taken.add(id);
    return id;
  });
}

/** Fills an empty document with a notebook, in one transaction. */
export function populateDoc(doc: Y.Doc, nb: NotebookJSON, origin: unknown = null): void {
  const ids = assignCellIds(nb);
  doc.transact(() => {
    const meta = doc.getMap('meta');
    meta.set('nbformat', nb.nbformat);
    meta.set('nbformat_minor', nb.nbformat_minor);
    meta.set('metadata', metadataToYMap(nb.metadata));
    const extra: JSONObject = {};
    for (const [key, value] of Object.entries(nb)) if (!NOTEBOOK_FIELDS.has(key)) extra[key] = value;
    if (Object.keys(extra).length) meta.set(FILE_FACTS_KEY, { extra } satisfies NotebookFacts as unknown as JSONObject);
    const cells = doc.getArray<Y.Map<unknown>>('cells');
    cells.insert(
      0,
      nb.cells.map((cell, i) => cellToYMap(cell, ids[i], nb.nbformat_minor)),
    );
  }, origin);
}

/** The full history of a notebook built from its file, as one deterministic Yjs update. */
export function buildInitialUpdate(nb: NotebookJSON): Uint8Array {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = REBUILD_CLIENT_ID;
  populateDoc(doc, nb);
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return update;
}

export function notebookMinor(doc: Y.Doc): number {
  const minor = doc.getMap('meta').get('nbformat_minor');
  return typeof minor === 'number' ? minor : 5;
}

/** The notebook a document holds, in memory form (joined strings), ready to serialise. */
export function notebookFromDoc(doc: Y.Doc): NotebookJSON {
  const meta = doc.getMap('meta');
  const minor = notebookMinor(doc);
  const nbformat = meta.get('nbformat');
  const metadata = meta.get('metadata');
  const nb: NotebookJSON = {
    nbformat: typeof nbformat === 'number' ? nbformat : 4,
    nbformat_minor: minor,
    metadata: metadata instanceof Y.Map ? (metadata.toJSON() as JSONObject) : {},
    cells: doc
      .getArray<unknown>('cells')
      .toArray()
      .filter((c): c is Y.Map<unknown> => c instanceof Y.Map)
      .map((c) => cellFromYMap(c, minor)),
  };
  const facts = meta.get(FILE_FACTS_KEY);
  if (isJSONObject(facts) && isJSONObject(facts.extra)) {
    for (const [key, value] of Object.entries(facts.extra)) if (!NOTEBOOK_FIELDS.has(key)) nb[key] = value;
  }
  return nb;
}
