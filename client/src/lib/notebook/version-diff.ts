// A version compared with the notebook now, cell by cell (matched by cell id): which cells were
// changed, deleted or added since, with line diffs of their sources and of their outputs as text.
import { type Change, diffLines } from 'diff';

/** The fields of an nbformat cell the comparison reads (a version's, or the live document's). */
export interface CellJSON {
  id?: unknown;
  cell_type?: unknown;
  source?: unknown;
  outputs?: unknown;
}

type OutputJSON = Record<string, unknown>;

export type CellStatus = 'same' | 'changed' | 'deleted' | 'added';

export interface CellDiff {
  id: string;
  type: string;
  status: CellStatus;
  /** Changes since the version: `removed` lines were in the version, `added` lines are new now. */
  source: Change[];
  outputs: Change[];
}

/** What a cell's outputs say, as text: enough to see that they changed, and how. */
export function outputsText(outputs: readonly OutputJSON[] | undefined): string {
  return (outputs ?? [])
    .map((output) => {
      if (output.output_type === 'stream') return String(output.text ?? '');
      if (output.output_type === 'error') return `${String(output.ename)}: ${String(output.evalue)}`;
      const data = (output.data ?? {}) as Record<string, unknown>;
      if (typeof data['text/plain'] === 'string') return data['text/plain'];
      const kinds = Object.keys(data);
      return kinds.length ? `[${kinds.join(', ')}]` : '';
    })
    .filter(Boolean)
    .map((text) => (text.endsWith('\n') ? text : `${text}\n`))
    .join('');
}

const sourceOf = (cell: CellJSON | undefined): string => (typeof cell?.source === 'string' ? cell.source : '');
const outputsOf = (cell: CellJSON | undefined): string => outputsText(cell?.outputs as OutputJSON[] | undefined);

/** The version's cells in its order, with the cells added since placed after their predecessor now. */
export function diffCells(then: readonly CellJSON[], now: readonly CellJSON[]): CellDiff[] {
  const nowById = new Map(now.map((cell) => [String(cell.id), cell]));
  const thenIds = new Set(then.map((cell) => String(cell.id)));
  const diffs: CellDiff[] = then.map((cell) => {
    const id = String(cell.id);
    const current = nowById.get(id);
    // A cell deleted since compares with nothing: all of it is gone now.
    const source = diffLines(sourceOf(cell), sourceOf(current));
    const outputs = diffLines(outputsOf(cell), outputsOf(current));
    const changed = source.some((c) => c.added || c.removed) || outputs.some((c) => c.added || c.removed) || current?.cell_type !== cell.cell_type;
    return { id, type: String(cell.cell_type), status: !current ? 'deleted' : changed ? 'changed' : 'same', source, outputs };
  });
  // Cells added since the version, each after the cell before it now.
  now.forEach((cell, index) => {
    const id = String(cell.id);
    if (thenIds.has(id)) return;
    const previous = index > 0 ? String(now[index - 1].id) : undefined;
    const at = previous === undefined ? 0 : diffs.findIndex((d) => d.id === previous) + 1;
    diffs.splice(at, 0, {
      id,
      type: String(cell.cell_type),
      status: 'added',
      source: [{ value: sourceOf(cell), added: true, removed: false, count: 1 }],
      outputs: outputsOf(cell) ? [{ value: outputsOf(cell), added: true, removed: false, count: 1 }] : [],
    });
  });
  return diffs;
}
