// Reads a notebook file's JSON into Tandem's in-memory form, validating it against the
// nbformat schema of its own minor version. Like nbformat, Tandem opens notebooks that bend
// the schema in known, harmless ways (with a warning), and refuses what cannot be trusted as
// a notebook: schema errors in a version it knows, and duplicate cell ids.

import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import { isJSONObject, type JSONObject, type NotebookJSON } from '../../common/nbformat';
import { projectPath } from '../project-files';
import { MAX_JSON_NESTING, nestsDeeperThan } from './json-depth';
import { rejoinLines } from './lines';
import { upgradeV3 } from './upgrade-v3';

export const CURRENT_MINOR = 5;

export class InvalidNotebookError extends Error {
  override readonly name = 'InvalidNotebookError';
}

export interface ReadNotebook {
  notebook: NotebookJSON;
  /** Ways the file bent the schema; log them, the content is kept. */
  warnings: string[];
  /** True when the file was nbformat 3 and was upgraded. */
  upgraded: boolean;
}

const ajv = new AjvDraft04({ allErrors: true, strict: false, validateFormats: false });
const loaded = new Set<string>();

function schemaKey(minor: number, relaxed: boolean): string {
  const key = `nbformat-4.${minor}${relaxed ? '-relaxed' : ''}`;
  if (!loaded.has(key)) {
    const file = projectPath('server', 'notebook', 'schema', `nbformat.v4.${minor}.schema.json`);
    const schema = JSON.parse(readFileSync(file, 'utf8')) as JSONObject;
    ajv.addSchema(relaxed ? withoutAdditionalPropertyBans(schema) : schema, key);
    loaded.add(key);
  }
  return key;
}

function validator(key: string, pointer = ''): ValidateFunction {
  const validate = ajv.getSchema(pointer ? `${key}#${pointer}` : key);
  if (!validate) throw new Error(`nbformat schema ${key}${pointer} is missing`);
  return validate;
}

// A file from a newer minor version may carry fields this schema does not know yet.
function withoutAdditionalPropertyBans(schema: JSONObject): JSONObject {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!isJSONObject(value)) return value;
    const out: JSONObject = {};
    for (const [key, child] of Object.entries(value)) {
      if (key === 'additionalProperties' && child === false) continue;
      out[key] = walk(child) as JSONObject;
    }
    return out;
  };
  return walk(schema) as JSONObject;
}

function describe(error: ErrorObject, prefix = ''): string {
  const where = prefix + error.instancePath || '/';
  if (error.keyword === 'additionalProperties') {
    return `${where} has an unexpected property '${String(error.params.additionalProperty)}'`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

const CELL_DEFINITIONS: Record<string, string> = { code: 'code_cell', markdown: 'markdown_cell', raw: 'raw_cell' };
const OUTPUT_TYPES = new Set(['execute_result', 'display_data', 'stream', 'error']);

// The schema states cells and outputs as a oneOf over their types, so a whole-document
// validation reports every branch. Validating each cell against the definition its own
// type selects names the one problem a person needs to fix.
function diagnose(nb: JSONObject, key: string): string {
  const top = validator(key);
  if (!top({ ...nb, cells: [] })) return describe(top.errors![0]);
  const cells = nb.cells as JSONObject[];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    const definition = CELL_DEFINITIONS[String(cell.cell_type)];
    if (!definition) return `/cells/${i}/cell_type '${String(cell.cell_type)}' is not a known cell type`;
    const outputs = Array.isArray(cell.outputs) ? cell.outputs : [];
    const check = validator(key, `/definitions/${definition}`);
    if (!check({ ...cell, ...(cell.cell_type === 'code' ? { outputs: [] } : {}) })) {
      return describe(check.errors![0], `/cells/${i}`);
    }
    for (let j = 0; j < outputs.length; j++) {
      const output = outputs[j];
      const type = isJSONObject(output) ? output.output_type : undefined;
      const where = `/cells/${i}/outputs/${j}`;
      if (typeof type !== 'string' || !OUTPUT_TYPES.has(type)) {
        return `${where}/output_type '${String(type)}' is not a known output type`;
      }
      const checkOutput = validator(key, `/definitions/${type}`);
      if (!checkOutput(output)) return describe(checkOutput.errors![0], where);
    }
  }
  return 'the notebook does not match the nbformat schema';
}

// Pre-4.5 files written by newer tools often carry cell ids. nbformat reads them; so do we.
function withoutCellIds(nb: JSONObject): { stripped: JSONObject; hadIds: boolean } {
  const cells = nb.cells as JSONObject[];
  const hadIds = cells.some((cell) => 'id' in cell);
  if (!hadIds) return { stripped: nb, hadIds };
  return { stripped: { ...nb, cells: cells.map(({ id: _id, ...rest }) => rest) }, hadIds };
}

function checkStructure(nb: JSONObject): void {
  if (!Array.isArray(nb.cells)) throw new InvalidNotebookError('Invalid notebook: cells must be an array');
  if (!isJSONObject(nb.metadata)) throw new InvalidNotebookError('Invalid notebook: metadata must be an object');
  nb.cells.forEach((cell, i) => {
    if (!isJSONObject(cell) || typeof cell.cell_type !== 'string' || !isJSONObject(cell.metadata)) {
      throw new InvalidNotebookError(`Invalid notebook: /cells/${i} must be an object with cell_type and metadata`);
    }
  });
}

function checkUniqueIds(nb: JSONObject): void {
  const seen = new Set<string>();
  (nb.cells as JSONObject[]).forEach((cell, i) => {
    if (typeof cell.id !== 'string') return;
    if (seen.has(cell.id)) {
      throw new InvalidNotebookError(`Invalid notebook: /cells/${i} repeats the cell id '${cell.id}'`);
    }
    seen.add(cell.id);
  });
}

/** Parses and validates notebook JSON. Throws InvalidNotebookError with a readable reason. */
export function readNotebookJSON(raw: unknown): ReadNotebook {
  if (!isJSONObject(raw)) throw new InvalidNotebookError('Invalid notebook: the file is not a JSON object');
  if (nestsDeeperThan(raw, MAX_JSON_NESTING)) {
    throw new InvalidNotebookError(`Invalid notebook: values nest more than ${MAX_JSON_NESTING} levels deep`);
  }
  const major = raw.nbformat;
  if (major === 3) {
    const upgraded = upgradeV3(raw);
    const result = readNotebookJSON(upgraded as unknown as JSONObject);
    return { ...result, upgraded: true };
  }
  if (major !== 4) {
    throw new InvalidNotebookError(`Unsupported notebook format: nbformat ${JSON.stringify(major)} (Tandem reads 3 and 4)`);
  }
  const minor = raw.nbformat_minor;
  if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) {
    throw new InvalidNotebookError('Invalid notebook: nbformat_minor must be a non-negative integer');
  }
  checkStructure(raw);
  const warnings: string[] = [];
  if (minor > CURRENT_MINOR) {
    // nbformat reads newer minor versions against the newest schema it knows, tolerating
    // additions; anything else it finds is reported, not refused.
    const key = schemaKey(CURRENT_MINOR, true);
    const problem = validator(key)(raw) ? 'unknown fields are kept as they are' : diagnose(raw, key);
    warnings.push(`nbformat 4.${minor} is newer than 4.${CURRENT_MINOR}: ${problem}`);
  } else {
    const key = schemaKey(minor, false);
    const { stripped, hadIds } = minor < CURRENT_MINOR ? withoutCellIds(raw) : { stripped: raw, hadIds: false };
    if (!validator(key)(stripped)) throw new InvalidNotebookError(`Invalid notebook: ${diagnose(stripped, key)}`);
    if (hadIds) warnings.push(`cells carry ids, which nbformat 4.${minor} does not define; they are kept`);
  }
  checkUniqueIds(raw);
  return { notebook: rejoinLines(raw as unknown as NotebookJSON), warnings, upgraded: false };
}

/** Validates a notebook Tandem is about to write; returns the problem rather than refusing. */
export function schemaProblem(nb: NotebookJSON): string | undefined {
  const json = nb as unknown as JSONObject;
  const relaxed = nb.nbformat_minor > CURRENT_MINOR;
  const key = schemaKey(Math.min(nb.nbformat_minor, CURRENT_MINOR), relaxed);
  const { stripped } = nb.nbformat_minor < CURRENT_MINOR ? withoutCellIds(json) : { stripped: json };
  return validator(key)(stripped) ? undefined : diagnose(stripped, key);
}
