// The reproducibility check's verdict: each code cell of a reproduction against the record it
// re-ran. Outputs are compared as text (stream text, each result's richest stable form, errors
// by name and message), so the difference reads as a unified diff. A cell tagged `volatile`
// (timestamps, memory addresses) only has to run. A SQL cell's preview also says how long ago
// its data was fetched, so only its structured result is compared, and only what says which
// data it is (not whether the run chose it pinned or live).

import { createTwoFilesPatch } from 'diff';
import type { CellDiff, JobRecord } from '../../common/api';
import { QUERY_RESULT_MIME } from '../../common/doc-schema';
import { isJSONObject, type JSONObject, type JSONValue } from '../../common/nbformat';

export const VOLATILE_TAG = 'volatile';
const INJECTED_TAG = 'injected-parameters';

const text = (value: unknown): string => (Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '');

function tagsOf(cell: JSONObject): string[] {
  const tags = isJSONObject(cell.metadata) ? cell.metadata.tags : undefined;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function codeCells(record: JobRecord): Map<string, JSONObject> {
  const cells = isJSONObject(record.executed) && Array.isArray(record.executed.cells) ? record.executed.cells : [];
  const byId = new Map<string, JSONObject>();
  for (const cell of cells)
    if (isJSONObject(cell) && cell.cell_type === 'code' && typeof cell.id === 'string' && !tagsOf(cell).includes(INJECTED_TAG)) byId.set(cell.id, cell);
  return byId;
}

function outputText(output: JSONObject): string {
  switch (output.output_type) {
    case 'stream':
      return `[${String(output.name)}]\n${text(output.text)}`;
    case 'error':
      return `[error] ${String(output.ename)}: ${String(output.evalue)}\n`;
    case 'execute_result':
    case 'display_data': {
      const data = isJSONObject(output.data) ? output.data : {};
      if (QUERY_RESULT_MIME in data) return `[${QUERY_RESULT_MIME}]\n${queryResultText(data[QUERY_RESULT_MIME])}\n`;
      const mime = 'text/plain' in data ? 'text/plain' : Object.keys(data).sort()[0];
      return mime ? `[${mime}]\n${typeof data[mime] === 'string' || Array.isArray(data[mime]) ? text(data[mime]) : JSON.stringify(data[mime])}\n` : '';
    }
    default:
      return '';
  }
}

/** A SQL cell's result, without how the run chose its data (mode, pinned): which data it is, and its shape. */
function queryResultText(value: unknown): string {
  if (!isJSONObject(value)) return JSON.stringify(value);
  const { mode: _mode, pinned: _pinned, ...data } = value;
  return JSON.stringify(sortKeys(data), null, 1);
}

function sortKeys(value: JSONValue): JSONValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJSONObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key]!)]),
  );
}

function outputsText(cell: JSONObject): string {
  const outputs = Array.isArray(cell.outputs) ? cell.outputs.filter(isJSONObject) : [];
  return outputs.map(outputText).join('');
}

export function diffRuns(original: JobRecord, reproduction: JobRecord): CellDiff[] {
  const before = codeCells(original);
  const after = codeCells(reproduction);
  const diffs: CellDiff[] = [];
  for (const [cellId, cell] of before) {
    const again = after.get(cellId);
    const failure = reproduction.failure;
    if (failure?.cellId === cellId && original.failure?.cellId !== cellId) {
      diffs.push({ cellId, status: 'failed', message: `${failure.ename}: ${failure.evalue}` });
      continue;
    }
    const ranBefore = cell.execution_count !== null && cell.execution_count !== undefined;
    const ranAgain = again !== undefined && again.execution_count !== null && again.execution_count !== undefined;
    if (ranBefore && !ranAgain) {
      diffs.push({ cellId, status: 'failed', message: again ? 'The cell did not run: the run stopped before it' : 'The cell is not in the reproduction' });
      continue;
    }
    if (tagsOf(cell).includes(VOLATILE_TAG)) {
      diffs.push({ cellId, status: 'identical', volatile: true });
      continue;
    }
    const a = outputsText(cell);
    const b = again ? outputsText(again) : '';
    if (a === b) diffs.push({ cellId, status: 'identical' });
    else
      diffs.push({
        cellId,
        status: 'changed',
        difference: createTwoFilesPatch(`original/${cellId}`, `reproduction/${cellId}`, a, b, undefined, undefined, { context: 3 }),
      });
  }
  return diffs;
}
