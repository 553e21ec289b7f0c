// Notebook file names chosen by people: what makes one acceptable, and a free default.

/** The file name for what was typed (".ipynb" added if missing), or why it cannot be one. */
export function notebookFileName(text: string): { name: string } | { problem: string } {
  const trimmed = text.trim();
  if (!trimmed || trimmed === '.ipynb') return { problem: 'Give the notebook a name.' };
  if (trimmed.includes('/') || trimmed.includes('\\')) return { problem: 'A name cannot contain “/” or “\\”.' };
  if (trimmed.startsWith('.')) return { problem: 'A name cannot start with a dot: the file would be hidden.' };
  return { name: trimmed.endsWith('.ipynb') ? trimmed : `${trimmed}.ipynb` };
}

/** Untitled.ipynb, or Untitled1.ipynb, Untitled2.ipynb… as Jupyter numbers them: the first not taken. */
export function freeNotebookName(taken: Iterable<string>): string {
  const names = new Set(taken);
  for (let n = 0; ; n++) {
    const name = `Untitled${n === 0 ? '' : n}.ipynb`;
    if (!names.has(name)) return name;
  }
}
