// Python interpreters an environment can be built on: what one is (its real path and version,
// whether it already has ipykernel and pip), and which one to use for a notebook. Asking Python
// costs a process start, so answers are kept until the interpreter's file changes.

import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { satisfiesPython } from './python-version';

export interface Interpreter {
  /** sys.executable: the interpreter itself, not a shim or symlink that led to it. */
  path: string;
  /** "3.11.2" */
  version: string;
  hasIpykernel: boolean;
  hasPip: boolean;
  /** venv with ensurepip, so `python -m venv` can put pip into a new environment. */
  hasEnsurepip: boolean;
}

export class NoInterpreter extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoInterpreter';
  }
}

const PROBE = `
import importlib.util as u, json, sys
has = lambda m: u.find_spec(m) is not None
print(json.dumps({"path": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
  "hasIpykernel": has("ipykernel"), "hasPip": has("pip"), "hasEnsurepip": has("ensurepip") and has("venv")}))
`;
// A first Python start on a busy machine can take seconds.
const PROBE_TIMEOUT_MS = 30_000;

const probes = new Map<string, { mtimeMs: number; result: Promise<Interpreter | undefined> }>();

/** What `command` (a path, or a name looked up on PATH) is; undefined if it is not a working Python 3. */
export async function probeInterpreter(command: string, env: NodeJS.ProcessEnv = process.env): Promise<Interpreter | undefined> {
  const file = command.includes('/') ? command : await onPath(command, env.PATH ?? '');
  if (!file) return undefined;
  const info = await stat(file).catch(() => undefined);
  if (!info) return undefined;
  const cached = probes.get(file);
  if (cached && cached.mtimeMs === info.mtimeMs) return cached.result;
  const result = runProbe(file, env);
  probes.set(file, { mtimeMs: info.mtimeMs, result });
  return result;
}

function runProbe(file: string, env: NodeJS.ProcessEnv): Promise<Interpreter | undefined> {
  return new Promise((resolve) => {
    // -I: no user site, no PYTHONPATH, no current directory: the interpreter as environments see it.
    execFile(file, ['-I', '-c', PROBE], { env, timeout: PROBE_TIMEOUT_MS }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Interpreter;
        resolve(parsed.version.startsWith('3.') ? parsed : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

export interface FindOptions {
  /** Tried first: the Python a kernelspec runs. */
  preferred?: string;
  /** PEP 440 constraint on the version. */
  constraint?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The interpreter for an environment: the preferred one if it fits the constraint, else the
 * first fitting one among python3 and python3.N on PATH. Throws NoInterpreter, naming what
 * was found, when none fits.
 */
export async function findInterpreter(options: FindOptions): Promise<Interpreter> {
  const env = options.env ?? process.env;
  const tried: Interpreter[] = [];
  const fits = (found: Interpreter | undefined): found is Interpreter => {
    if (!found) return false;
    tried.push(found);
    return options.constraint === undefined || satisfiesPython(found.version, options.constraint);
  };
  if (options.preferred) {
    const preferred = await probeInterpreter(options.preferred, env);
    if (fits(preferred)) return preferred;
  }
  for (const candidate of await candidatesOnPath(env.PATH ?? '')) {
    const found = await probeInterpreter(candidate, env);
    if (fits(found)) return found;
  }
  const seen = [...new Map(tried.map((i) => [i.path, i])).values()].map((i) => `${i.version} at ${i.path}`);
  if (options.constraint === undefined) {
    throw new NoInterpreter('No Python 3 interpreter was found on this server. Install Python 3 (python3 on the PATH) to run notebooks.');
  }
  throw new NoInterpreter(
    `No Python matching "${options.constraint}" is installed on this server${seen.length ? ` (found ${seen.join(', ')})` : ''}. ` +
      'Change "python" in the notebook\'s environment, or install that version.',
  );
}

/** python3 first, then python3.N from newest to oldest, in PATH order. */
async function candidatesOnPath(searchPath: string): Promise<string[]> {
  const versioned = new Set<string>();
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (/^python3\.\d+$/.test(name)) versioned.add(name);
    }
  }
  const byVersion = [...versioned].sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1]));
  return ['python3', ...byVersion];
}

async function onPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  return undefined;
}
