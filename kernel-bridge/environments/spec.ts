// A notebook's environment specification (metadata.tandem.environment): validated, then put in
// one canonical form — requirements trimmed, names PEP 503-normalised, duplicates dropped,
// everything sorted — so that two notebooks asking for the same thing share one environment.

import path from 'node:path';
import { Ajv } from 'ajv';
import type { EnvironmentSpec } from '../../common/doc-schema';
import { isValidKernelName } from '../kernelspec/kernelspec';
import { InvalidPythonConstraint, normalisePythonConstraint } from './python-version';
import { InvalidRequirement, parseRequirementLine, type RequirementLine } from './requirement';

export type { EnvironmentSpec };

/** Where packages come from, beyond the default index. */
export interface IndexOptions {
  indexUrl?: string;
  extraIndexUrls: string[];
  /** URLs, or absolute directories (relative ones are resolved against the notebook's folder). */
  findLinks: string[];
  noIndex: boolean;
}

export interface NormalisedSpec {
  /** Canonical requirement lines, sorted. */
  requirements: string[];
  index: IndexOptions;
  /** Canonical interpreter constraint, if any. */
  python?: string;
  kernel?: string;
}

export class InvalidEnvironmentSpec extends Error {
  constructor(reason: string) {
    super(`This notebook's environment (metadata.tandem.environment) cannot be used: ${reason}`);
    this.name = 'InvalidEnvironmentSpec';
  }
}

const MAX_REQUIREMENTS = 500;
const MAX_LINE = 1000;

const ajv = new Ajv({ strict: true, allErrors: false });
const validateShape = ajv.compile<EnvironmentSpec>({
  type: 'object',
  required: ['requirements'],
  additionalProperties: false,
  properties: {
    requirements: { type: 'array', maxItems: MAX_REQUIREMENTS, items: { type: 'string', maxLength: MAX_LINE } },
    python: { type: 'string', minLength: 1, maxLength: 100 },
    kernel: { type: 'string', minLength: 1, maxLength: 100 },
  },
});

/** Checks the shape of what a notebook stores; throws InvalidEnvironmentSpec with the reason. */
export function readEnvironmentSpec(value: unknown): EnvironmentSpec {
  if (!validateShape(value)) {
    const error = validateShape.errors?.[0];
    const where = error?.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'it';
    const reason =
      error?.keyword === 'additionalProperties'
        ? `"${String(error.params.additionalProperty)}" is not a field; use requirements, python and kernel`
        : `${where} ${error?.message ?? 'is malformed'}`;
    throw new InvalidEnvironmentSpec(`${reason}. Expected {"requirements": ["pandas>=2", …], "python": "3.11", "kernel": "python3"}`);
  }
  return value;
}

/** The canonical form of a valid spec; `baseDir` anchors relative --find-links directories. */
export function normaliseEnvironmentSpec(spec: EnvironmentSpec, baseDir: string): NormalisedSpec {
  const requirements = new Map<string, string>();
  const unconditional = new Map<string, string>();
  const index: IndexOptions = { extraIndexUrls: [], findLinks: [], noIndex: false };
  for (const raw of spec.requirements) {
    if (!raw.trim() || raw.trim().startsWith('#')) continue;
    let line: RequirementLine;
    try {
      line = parseRequirementLine(raw);
    } catch (error) {
      if (error instanceof InvalidRequirement) throw new InvalidEnvironmentSpec(error.message);
      throw error;
    }
    if (line.kind === 'option') {
      addOption(index, line.option, line.value, baseDir);
      continue;
    }
    if (requirements.has(line.text)) continue;
    if (!line.hasMarker) {
      const earlier = unconditional.get(line.name);
      if (earlier) throw new InvalidEnvironmentSpec(`${line.name} is listed twice ("${earlier}" and "${line.text}"); keep one`);
      unconditional.set(line.name, line.text);
    }
    requirements.set(line.text, line.text);
  }
  if (spec.kernel !== undefined && !isValidKernelName(spec.kernel)) {
    throw new InvalidEnvironmentSpec(`kernel "${spec.kernel}" is not a kernelspec name (letters, digits, ., _ and -)`);
  }
  let python: string | undefined;
  if (spec.python !== undefined) {
    try {
      python = normalisePythonConstraint(spec.python);
    } catch (error) {
      if (error instanceof InvalidPythonConstraint) throw new InvalidEnvironmentSpec(error.message);
      throw error;
    }
  }
  index.extraIndexUrls.sort();
  index.findLinks.sort();
  return {
    requirements: [...requirements.keys()].sort(),
    index,
    ...(python !== undefined ? { python } : {}),
    ...(spec.kernel !== undefined ? { kernel: spec.kernel.toLowerCase() } : {}),
  };
}

function addOption(index: IndexOptions, option: string, value: string | undefined, baseDir: string): void {
  switch (option) {
    case '--no-index':
      index.noIndex = true;
      return;
    case '--index-url':
      if (index.indexUrl !== undefined && index.indexUrl !== value)
        throw new InvalidEnvironmentSpec('--index-url is given twice; use --extra-index-url for a second index');
      index.indexUrl = checkedUrl(option, value!);
      return;
    case '--extra-index-url': {
      const url = checkedUrl(option, value!);
      if (!index.extraIndexUrls.includes(url)) index.extraIndexUrls.push(url);
      return;
    }
    case '--find-links': {
      const where = /^[a-z][a-z0-9+.-]*:\/\//i.test(value!) ? value! : path.resolve(baseDir, value!);
      if (!index.findLinks.includes(where)) index.findLinks.push(where);
      return;
    }
  }
}

function checkedUrl(option: string, value: string): string {
  if (!/^(https?|file):\/\/\S+$/i.test(value)) throw new InvalidEnvironmentSpec(`${option} needs an http(s):// or file:// URL, not "${value}"`);
  return value;
}
