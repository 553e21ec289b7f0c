// Job parameters, after papermill: the cell tagged `parameters` holds the defaults, and a cell
// tagged `injected-parameters` right after it assigns the values given. Only names the
// parameters cell assigns may be given, so a typo is an error rather than a silent default.

import type { JobParameters } from '../../common/api';
import type { CellJSON, NotebookJSON } from '../../common/nbformat';
import { PARAMETERS_TAG, parametersIn } from '../../common/parameters';
import { invalid } from '../errors';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
  const cell = nb.cells.find((c) => c.cell_type === 'code' && tagsOf(c).includes(PARAMETERS_TAG));
  return cell ? parametersIn(sourceOf(cell)).map((p) => p.name) : [];
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
  const at = nb.cells.findIndex((c) => c.cell_type === 'code' && tagsOf(c).includes(PARAMETERS_TAG));
  const cells = [...nb.cells];
  cells.splice(at + 1, 0, injected);
  return { ...nb, cells };
}
