// The Environment panel's form and the specification it stands for. People write requirements
// one per line, as in a requirements file; empty fields are left out of the specification, and
// an empty form means the server's default environment. The server validates the result and
// says in the document what is wrong with it, so nothing is second-guessed here.
import type { EnvironmentSpec } from '@common/doc-schema';

export interface EnvironmentFields {
  requirements: string;
  python: string;
  kernel: string;
}

export const EMPTY_FIELDS: EnvironmentFields = { requirements: '', python: '', kernel: '' };

/** The form for a stored specification; one that is not even an object shows as empty. */
export function fieldsOf(raw: unknown): EnvironmentFields {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return EMPTY_FIELDS;
  const spec = raw as { requirements?: unknown; python?: unknown; kernel?: unknown };
  const lines = Array.isArray(spec.requirements) ? spec.requirements.filter((line): line is string => typeof line === 'string') : [];
  return {
    requirements: lines.join('\n'),
    python: typeof spec.python === 'string' ? spec.python : '',
    kernel: typeof spec.kernel === 'string' ? spec.kernel : '',
  };
}

/** The specification the form describes, or null for none (the default environment). */
export function specOf(fields: EnvironmentFields): EnvironmentSpec | null {
  const requirements = fields.requirements
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const python = fields.python.trim();
  const kernel = fields.kernel.trim();
  if (!requirements.length && !python && !kernel) return null;
  return { requirements, ...(python ? { python } : {}), ...(kernel ? { kernel } : {}) };
}

export function sameFields(a: EnvironmentFields, b: EnvironmentFields): boolean {
  return JSON.stringify(specOf(a)) === JSON.stringify(specOf(b));
}
