// The cell clipboard (X, C, V). Kept in localStorage too, so cells copied in one notebook
// tab can be pasted into another notebook, as in JupyterLab.
import type { CellJSON } from './edits';

const KEY = 'tandem.cell-clipboard';
let memory: CellJSON[] = [];

export function copyCells(cells: CellJSON[]): void {
  memory = cells;
  try {
    localStorage.setItem(KEY, JSON.stringify(cells));
  } catch {
    // Storage full or disabled: the in-memory copy still works in this tab.
  }
}

export function clipboardCells(): CellJSON[] {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw) {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) return parsed as CellJSON[];
    }
  } catch {
    // Fall back to memory.
  }
  return memory;
}
