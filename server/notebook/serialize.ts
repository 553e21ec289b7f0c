// Writes a notebook the way nbformat does (sorted keys, one-space indent, lists of lines,
// a trailing newline), so a notebook saved by Tandem and one saved by Jupyter diff cleanly.

import type { JSONValue, NotebookJSON } from '../../common/nbformat';
import { splitNotebookLines } from './lines';

function sortKeys(value: JSONValue): JSONValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: { [key: string]: JSONValue } = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
  return sorted;
}

export function serializeNotebook(nb: NotebookJSON): string {
  const onDisk = splitNotebookLines(nb) as unknown as JSONValue;
  return JSON.stringify(sortKeys(onDisk), null, 1) + '\n';
}
