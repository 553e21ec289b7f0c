// The `python` field of an environment: which interpreter versions a notebook accepts, written
// as PEP 440 specifiers (">=3.10,<3.13", "~=3.11", "==3.11.*") or as a bare version ("3.11",
// meaning any 3.11.x). Only release numbers are compared: interpreters are CPython releases.

export class InvalidPythonConstraint extends Error {
  constructor(constraint: string, reason: string) {
    super(`python "${constraint}" is not a version constraint such as "3.11" or ">=3.10,<3.13": ${reason}`);
    this.name = 'InvalidPythonConstraint';
  }
}

type Op = '==' | '!=' | '>=' | '<=' | '>' | '<' | '~=';

interface Clause {
  op: Op;
  release: number[];
  /** "==3.11.*": compare only the given segments. */
  wildcard: boolean;
}

const CLAUSE = /^(==|!=|>=|<=|>|<|~=)?\s*(\d+(?:\.\d+)*)(\.\*)?$/;

/** The constraint in one canonical spelling (for hashing); throws InvalidPythonConstraint. */
export function normalisePythonConstraint(constraint: string): string {
  return parseConstraint(constraint)
    .map((c) => `${c.op}${c.release.join('.')}${c.wildcard ? '.*' : ''}`)
    .sort()
    .join(',');
}

/** Whether an interpreter version ("3.11.2") satisfies the constraint. */
export function satisfiesPython(version: string, constraint: string): boolean {
  const release = version.split('.').map((part) => Number.parseInt(part, 10));
  return parseConstraint(constraint).every((clause) => matches(release, clause));
}

function parseConstraint(constraint: string): Clause[] {
  const parts = constraint.split(',').map((part) => part.trim());
  if (parts.some((part) => !part)) throw new InvalidPythonConstraint(constraint, 'it has an empty clause');
  return parts.map((part) => {
    const match = CLAUSE.exec(part.replace(/\s+/g, ''));
    if (!match) throw new InvalidPythonConstraint(constraint, `"${part}" is not understood`);
    const release = match[2].split('.').map(Number);
    const bare = match[1] === undefined;
    const wildcard = Boolean(match[3]) || (bare && release.length < 3);
    const op: Op = (match[1] as Op | undefined) ?? '==';
    if (wildcard && op !== '==' && op !== '!=') throw new InvalidPythonConstraint(constraint, '".*" only goes with == and !=');
    if (op === '~=' && release.length < 2) throw new InvalidPythonConstraint(constraint, '~= needs at least two numbers, as in ~=3.10');
    return { op, release, wildcard };
  });
}

function matches(version: number[], clause: Clause): boolean {
  const { op, release, wildcard } = clause;
  if (wildcard) {
    const same = release.every((n, i) => (version[i] ?? 0) === n);
    return op === '==' ? same : !same;
  }
  const order = compare(version, release);
  switch (op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '>=':
      return order >= 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
    case '~=': {
      // ~=3.10 means >=3.10 and ==3.*; ~=3.11.2 means >=3.11.2 and ==3.11.*
      const prefix = release.slice(0, -1);
      return order >= 0 && prefix.every((n, i) => (version[i] ?? 0) === n);
    }
  }
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}
