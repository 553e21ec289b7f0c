// Job parameters, after papermill: the cell tagged `parameters` holds the defaults, and a cell
// tagged `injected-parameters` right after it assigns the values given. Only names the
// parameters cell assigns may be given, so a typo is an error rather than a silent default.

import type { JobParameters } from '../../common/api';
import type { CellJSON, NotebookJSON } from '../../common/nbformat';
import { invalid } from '../errors';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A top-level assignment, optionally annotated: `n = 3`, `n: int = 3`.
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=(?!=)/gm;

function tagsOf(cell: CellJSON): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function sourceOf(cell: CellJSON): string {
  const source = cell.source;
  return Array.isArray(source) ? source.join('') : typeof source === 'string' ? source : '';
}

/** The names the `parameters` cell assigns, in order. */
export function declaredParameters(nb: NotebookJSON): string[] {
  const cell = nb.cells.find((c) => c.cell_type === 'code' && tagsOf(c).includes('parameters'));
  if (!cell) return [];
  return [...new Set([...sourceOf(cell).matchAll(ASSIGNMENT)].map((m) => m[1]!))];
}

/** A value given on the command line (`-p n 5`), typed as papermill types it. */
export function parseParameterValue(raw: string): string | number | boolean | null {
  if (raw === 'True' || raw === 'true') return true;
  if (raw === 'False' || raw === 'false') return false;
  if (raw === 'None' || raw === 'null') return null;
  if (/^[-+]?\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

function pythonLiteral(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid('Parameter values must be finite numbers');
    return String(value);
  }
  // A JSON string literal is a valid Python string literal.
  return JSON.stringify(value);
}

/** Checks the parameters against the notebook; throws an `invalid` error naming what is wrong. */
export function checkParameters(nb: NotebookJSON, parameters: JobParameters): void {
  const names = Object.keys(parameters);
  if (names.length === 0) return;
  const declared = declaredParameters(nb);
  if (declared.length === 0) throw invalid('This notebook takes no parameters: tag the cell that assigns their defaults with "parameters"');
  for (const name of names) {
    if (!NAME.test(name)) throw invalid(`"${name}" is not a valid parameter name`);
    if (!declared.includes(name)) throw invalid(`Unknown parameter "${name}". The notebook's parameters are: ${declared.join(', ')}`);
    pythonLiteral(parameters[name]!);
  }
}

/** The notebook as it was before parameters were injected (to run an executed notebook again). */
export function withoutInjectedParameters(nb: NotebookJSON): NotebookJSON {
  return { ...nb, cells: nb.cells.filter((c) => !tagsOf(c).includes('injected-parameters')) };
}

/** The notebook with the injected-parameters cell after the parameters cell (none if no values). */
export function injectParameters(nb: NotebookJSON, parameters: JobParameters): NotebookJSON {
  checkParameters(nb, parameters);
  const names = Object.keys(parameters);
  if (names.length === 0) return nb;
  const source = `# Parameters\n${names.map((n) => `${n} = ${pythonLiteral(parameters[n]!)}`).join('\n')}\n`;
  const injected: CellJSON = {
    cell_type: 'code',
    id: `injected-parameters-${Math.random().toString(36).slice(2, 10)}`,
    metadata: { tags: ['injected-parameters'] },
    source,
    outputs: [],
    execution_count: null,
  };
  const at = nb.cells.findIndex((c) => c.cell_type === 'code' && tagsOf(c).includes('parameters'));
  const cells = [...nb.cells];
  cells.splice(at + 1, 0, injected);
  return { ...nb, cells };
}
