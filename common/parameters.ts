// Papermill's parameters, as the server and the client both read them: the names a
// `parameters`-tagged cell assigns (with the default each is given), and a value typed as
// papermill types one given on its command line.

/** The tag of the cell that assigns the parameters' defaults. */
export const PARAMETERS_TAG = 'parameters';

// A top-level assignment, optionally annotated: `n = 3`, `n: int = 3`. The default is the rest
// of that line, shown to people as written.
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=(?!=)[ \t]*(.*)$/gm;

export interface DeclaredParameter {
  name: string;
  /** The default's source as written in the parameters cell (`5`, `"north"`), comment included. */
  defaultSource: string;
}

/** The parameters a `parameters` cell's source assigns, in order; a name assigned twice keeps its last default. */
export function parametersIn(source: string): DeclaredParameter[] {
  const byName = new Map<string, string>();
  for (const match of source.matchAll(ASSIGNMENT)) byName.set(match[1] as string, (match[2] ?? '').trim());
  return [...byName].map(([name, defaultSource]) => ({ name, defaultSource }));
}

/** A value given as text (`-p n 5`, or a field of the Run as job dialog), typed as papermill types it. */
export function parseParameterValue(raw: string): string | number | boolean | null {
  if (raw === 'True' || raw === 'true') return true;
  if (raw === 'False' || raw === 'false') return false;
  if (raw === 'None' || raw === 'null') return null;
  if (/^[-+]?\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  return raw;
}
