// Finds installed kernelspecs in the same directories, and the same order, as Jupyter
// (jupyter_core.paths.jupyter_path): the first directory that has a kernel name wins.

import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BridgeLogger, silentLogger } from '../logger';
import { isValidKernelName, type KernelSpec, readKernelSpec } from './kernelspec';

export interface DiscoveryOptions {
  /** Environment to read JUPYTER_PATH, JUPYTER_DATA_DIR, XDG_DATA_HOME and PATH from. */
  env?: NodeJS.ProcessEnv;
  logger?: BridgeLogger;
}

/** Jupyter data directories, highest priority first. Each may hold `kernels/<name>/kernel.json`. */
export async function jupyterDataDirs(options: DiscoveryOptions = {}): Promise<string[]> {
  const env = options.env ?? process.env;
  const fromEnv = (env.JUPYTER_PATH ?? '').split(path.delimiter).filter(Boolean);
  const user = env.JUPYTER_DATA_DIR || path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'jupyter');
  const prefix = await pythonPrefix(env.PATH ?? '');
  const pythonEnv = prefix ? [path.join(prefix, 'share', 'jupyter')] : [];
  const preferEnv = ['1', 'true', 'yes', 'on'].includes((env.JUPYTER_PREFER_ENV_PATH ?? '').toLowerCase());
  const dirs = [...fromEnv, ...(preferEnv ? [...pythonEnv, user] : [user, ...pythonEnv]), '/usr/local/share/jupyter', '/usr/share/jupyter'];
  return [...new Set(dirs.map((dir) => path.resolve(dir)))];
}

/** Every usable kernelspec, by name; an invalid kernel.json is logged and skipped. */
export async function findKernelSpecs(options: DiscoveryOptions = {}): Promise<KernelSpec[]> {
  const logger = options.logger ?? silentLogger;
  const found = new Map<string, KernelSpec>();
  for (const dataDir of await jupyterDataDirs(options)) {
    const kernelsDir = path.join(dataDir, 'kernels');
    for (const entry of await listDir(kernelsDir)) {
      const name = entry.toLowerCase();
      if (found.has(name) || !isValidKernelName(entry)) continue;
      try {
        found.set(name, await readKernelSpec(path.join(kernelsDir, entry)));
      } catch (error) {
        logger.warn({ dir: path.join(kernelsDir, entry), error: String(error) }, 'skipped a kernelspec');
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export async function findKernelSpec(name: string, options: DiscoveryOptions = {}): Promise<KernelSpec | undefined> {
  return (await findKernelSpecs(options)).find((spec) => spec.name === name.toLowerCase());
}

/**
 * Jupyter adds `{sys.prefix}/share/jupyter`. Asking Python costs a process start, so we take the
 * prefix from where the first python on PATH sits: `<prefix>/bin/python3`. That is exact for
 * venvs and conda environments (not following the symlink to the base interpreter is what makes
 * it exact) and harmlessly wrong for shims such as pyenv's.
 */
async function pythonPrefix(searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    for (const exe of ['python3', 'python']) {
      try {
        await access(path.join(dir, exe), constants.X_OK);
        return path.dirname(path.resolve(dir));
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name);
  } catch {
    return [];
  }
}
