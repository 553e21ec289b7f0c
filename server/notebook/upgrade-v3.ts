// Upgrades an nbformat 3 notebook to version 4 on open, following the rules of nbformat's
// own `v4.convert.upgrade`: worksheets flatten into cells, heading cells become markdown,
// `input`/`prompt_number` become `source`/`execution_count`, and output aliases become
// MIME types. Cell ids are derived from content so that the same file upgrades the same way.

import { createHash } from 'node:crypto';
import { type CellJSON, isJSONObject, type JSONObject, type JSONValue, type NotebookJSON } from '../../common/nbformat';

const MIME_ALIASES: Record<string, string> = {
  text: 'text/plain',
  html: 'text/html',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpeg: 'image/jpeg',
  latex: 'text/latex',
  json: 'application/json',
  javascript: 'application/javascript',
};

function joined(value: JSONValue | undefined): string {
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join('');
  return typeof value === 'string' ? value : '';
}

function joinedOrSame(value: JSONValue): JSONValue {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join('') : value;
}

function toMimeKeys(bundle: JSONObject): JSONObject {
  const out: JSONObject = {};
  for (const [key, value] of Object.entries(bundle)) out[MIME_ALIASES[key] ?? key] = value;
  return out;
}

function upgradeOutput(output: JSONObject): JSONObject {
  const type = output.output_type;
  if (type === 'pyout' || type === 'display_data') {
    const upgraded: JSONObject = {
      output_type: type === 'pyout' ? 'execute_result' : 'display_data',
      metadata: isJSONObject(output.metadata) ? toMimeKeys(output.metadata) : {},
    };
    if (type === 'pyout') upgraded.execution_count = output.prompt_number ?? null;
    const data: JSONObject = {};
    for (const [key, value] of Object.entries(output)) {
      if (key === 'output_type' || key === 'prompt_number' || key === 'metadata') continue;
      data[MIME_ALIASES[key] ?? key] = joinedOrSame(value);
    }
    const json = data['application/json'];
    if (typeof json === 'string') {
      try {
        data['application/json'] = JSON.parse(json) as JSONValue;
      } catch {
        // Leave unparsable JSON as text rather than lose it.
      }
    }
    upgraded.data = data;
    return upgraded;
  }
  if (type === 'pyerr') return { ...output, output_type: 'error' };
  if (type === 'stream') {
    const { stream, ...rest } = output;
    return { ...rest, name: typeof stream === 'string' ? stream : 'stdout', text: joined(output.text) };
  }
  return output;
}

function upgradeCell(cell: JSONObject, id: string): CellJSON {
  const metadata = isJSONObject(cell.metadata) ? { ...cell.metadata } : {};
  if (cell.cell_type === 'code') {
    if ('collapsed' in cell) metadata.collapsed = cell.collapsed;
    const outputs = Array.isArray(cell.outputs) ? cell.outputs.filter(isJSONObject).map(upgradeOutput) : [];
    return {
      id,
      cell_type: 'code',
      metadata,
      source: joined(cell.input),
      execution_count: typeof cell.prompt_number === 'number' ? cell.prompt_number : null,
      outputs,
    };
  }
  if (cell.cell_type === 'heading') {
    const level = typeof cell.level === 'number' ? cell.level : 1;
    const line = joined(cell.source).split(/\r?\n/).join(' ');
    return { id, cell_type: 'markdown', metadata, source: `${'#'.repeat(level)} ${line}` };
  }
  const cellType = cell.cell_type === 'html' ? 'markdown' : String(cell.cell_type);
  return { ...cell, id, cell_type: cellType, metadata, source: joined(cell.source) };
}

export function upgradeV3(nb: JSONObject): NotebookJSON {
  const metadata = isJSONObject(nb.metadata) ? { ...nb.metadata } : {};
  delete metadata.name;
  delete metadata.signature;
  metadata.orig_nbformat = 3;
  const cells: CellJSON[] = [];
  const worksheets = Array.isArray(nb.worksheets) ? nb.worksheets : [];
  for (const sheet of worksheets) {
    if (!isJSONObject(sheet) || !Array.isArray(sheet.cells)) continue;
    for (const cell of sheet.cells) {
      if (!isJSONObject(cell)) continue;
      const digest = createHash('sha256')
        .update(`${cells.length}\0${JSON.stringify(cell)}`)
        .digest('hex');
      cells.push(upgradeCell(cell, digest.slice(0, 8)));
    }
  }
  return { nbformat: 4, nbformat_minor: 5, metadata, cells };
}
