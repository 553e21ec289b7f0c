// Writes a notebook the way nbformat does (sorted keys, one-space indent, lists of lines,
// a trailing newline, transient fields dropped), so a notebook saved by Tandem and one saved
// by Jupyter diff cleanly.

import { isJSONObject, type JSONValue, type NotebookJSON } from '../../common/nbformat';
import { splitNotebookLines } from './lines';

function sortKeys(value: JSONValue): JSONValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: { [key: string]: JSONValue } = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
  return sorted;
}

/** Notebook metadata that nbformat never writes to a file (its `strip_transient`). */
const TRANSIENT_METADATA = ['orig_nbformat', 'orig_nbformat_minor', 'signature'];
/** Cell metadata that nbformat never writes: trust is decided by each reader. */
const TRANSIENT_CELL_METADATA = 'trusted';

function withoutTransient(nb: NotebookJSON): NotebookJSON {
  const metadata = { ...nb.metadata };
  for (const key of TRANSIENT_METADATA) delete metadata[key];
  const cells = nb.cells.map((cell) => {
    if (!isJSONObject(cell.metadata) || !(TRANSIENT_CELL_METADATA in cell.metadata)) return cell;
    const cellMetadata = { ...cell.metadata };
    delete cellMetadata[TRANSIENT_CELL_METADATA];
    return { ...cell, metadata: cellMetadata };
  });
  return { ...nb, metadata, cells };
}

export function serializeNotebook(nb: NotebookJSON): string {
  const onDisk = splitNotebookLines(withoutTransient(nb)) as unknown as JSONValue;
  return `${JSON.stringify(sortKeys(onDisk), null, 1)}\n`;
}
