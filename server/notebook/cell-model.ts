// Converts single cells and outputs between nbformat JSON and the Yjs types of the
// @jupyter/ydoc schema: a cell is a Y.Map with `source` (Y.Text), `metadata` (Y.Map of JSON
// values), `cell_type`, `id`, and for code cells `outputs` (Y.Array of Y.Map, stream text as
// Y.Text) and `execution_count`. What that schema cannot hold goes into FILE_FACTS_KEY so
// export can write the file back as it was.

import * as Y from 'yjs';
import { FILE_FACTS_KEY } from '../../common/doc-schema';
import { type CellJSON, isJSONObject, isKnownCellType, type JSONObject, type JSONValue, type OutputJSON } from '../../common/nbformat';

/** Facts about a cell's file form that the YNotebook schema has no field for. */
export interface CellFacts {
  /** The cell had an id in a pre-4.5 file (ids are written back only for those). */
  idInFile?: boolean;
  /** A cell type this nbformat does not know; the cell lives in the document as raw. */
  cellType?: string;
  /** The file had no `source` for this cell. */
  noSource?: boolean;
  /** Fields the schema does not define, kept verbatim. */
  extra?: JSONObject;
}

// The fields the document holds for each cell type; anything else a file carries is kept
// verbatim in the cell's facts.
const COMMON_FIELDS = ['id', 'cell_type', 'source', 'metadata'];
const FIELDS: Record<string, Set<string>> = {
  code: new Set([...COMMON_FIELDS, 'outputs', 'execution_count']),
  markdown: new Set([...COMMON_FIELDS, 'attachments']),
  raw: new Set([...COMMON_FIELDS, 'attachments']),
};
const UNKNOWN_TYPE_FIELDS = new Set(COMMON_FIELDS);

export function outputToYMap(output: OutputJSON): Y.Map<unknown> {
  const entries: [string, unknown][] = Object.entries(output).map(([key, value]) => {
    if (key === 'text' && output.output_type === 'stream' && typeof value === 'string') {
      const text = new Y.Text();
      text.insert(0, value);
      return [key, text];
    }
    return [key, value];
  });
  return new Y.Map(entries);
}

export function outputFromY(value: unknown): OutputJSON {
  if (value instanceof Y.Map) return value.toJSON() as OutputJSON;
  return value as OutputJSON;
}

export function metadataToYMap(metadata: JSONObject): Y.Map<unknown> {
  return new Y.Map(Object.entries(metadata));
}

/** What a cell's file form needs remembered beyond the YNotebook schema. */
export function factsFor(cell: CellJSON, minor: number): CellFacts {
  const facts: CellFacts = {};
  const known = isKnownCellType(cell.cell_type);
  if (!known) facts.cellType = cell.cell_type;
  if (minor < 5 && typeof cell.id === 'string') facts.idInFile = true;
  if (typeof cell.source !== 'string') facts.noSource = true;
  const extra: JSONObject = {};
  const fields = Object.hasOwn(FIELDS, cell.cell_type) ? FIELDS[cell.cell_type] : UNKNOWN_TYPE_FIELDS;
  for (const [key, value] of Object.entries(cell)) {
    if (!fields.has(key)) extra[key] = value;
  }
  if (Object.keys(extra).length) facts.extra = extra;
  return facts;
}

/** The cell type as the document holds it: types nbformat does not know live as raw. */
export function docCellType(cell: CellJSON): string {
  return isKnownCellType(cell.cell_type) ? cell.cell_type : 'raw';
}

/** Builds a cell's Y.Map. `minor` is the notebook's nbformat_minor; `id` must be unique. */
export function cellToYMap(cell: CellJSON, id: string, minor: number): Y.Map<unknown> {
  const facts = factsFor(cell, minor);
  const source = new Y.Text();
  if (typeof cell.source === 'string') source.insert(0, cell.source);
  const ymap = new Y.Map<unknown>();
  ymap.set('source', source);
  ymap.set('metadata', metadataToYMap(cell.metadata));
  ymap.set('cell_type', docCellType(cell));
  ymap.set('id', id);
  if (cell.cell_type === 'code') {
    ymap.set('outputs', Y.Array.from(outputsOf(cell).map(outputToYMap)));
    ymap.set('execution_count', typeof cell.execution_count === 'number' ? cell.execution_count : null);
  }
  if (isKnownCellType(cell.cell_type) && cell.attachments !== undefined) ymap.set('attachments', cell.attachments);
  if (Object.keys(facts).length) ymap.set(FILE_FACTS_KEY, facts as unknown as JSONValue);
  return ymap;
}

export function outputsOf(cell: CellJSON): OutputJSON[] {
  return Array.isArray(cell.outputs) ? (cell.outputs.filter(isJSONObject) as OutputJSON[]) : [];
}

export function cellFacts(ymap: Y.Map<unknown>): CellFacts {
  const facts = ymap.get(FILE_FACTS_KEY);
  return isJSONObject(facts) ? (facts as CellFacts) : {};
}

/** The nbformat JSON of one cell Y.Map, as it should be written to a file. */
export function cellFromYMap(ymap: Y.Map<unknown>, minor: number): CellJSON {
  const facts = cellFacts(ymap);
  const docType = String(ymap.get('cell_type'));
  const cellType = facts.cellType && docType === 'raw' ? facts.cellType : docType;
  const metadata = ymap.get('metadata');
  const cell: CellJSON = {
    cell_type: cellType,
    metadata: metadata instanceof Y.Map ? (metadata.toJSON() as JSONObject) : isJSONObject(metadata) ? metadata : {},
  };
  const id = ymap.get('id');
  if (typeof id === 'string' && (minor >= 5 || facts.idInFile)) cell.id = id;
  const source = ymap.get('source');
  const text = source instanceof Y.Text ? source.toString() : typeof source === 'string' ? source : '';
  if (!(facts.noSource && text === '')) cell.source = text;
  if (cellType === 'code') {
    const outputs = ymap.get('outputs');
    cell.outputs = outputs instanceof Y.Array ? outputs.toArray().map(outputFromY) : [];
    const count = ymap.get('execution_count');
    cell.execution_count = typeof count === 'number' ? count : null;
  }
  const attachments = ymap.get('attachments');
  if (cellType !== 'code' && attachments !== undefined && attachments !== null) {
    cell.attachments = attachments as JSONValue;
  }
  if (facts.extra) Object.assign(cell, facts.extra);
  return cell;
}
