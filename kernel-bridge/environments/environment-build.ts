// Builds one environment in a staging folder: a venv over the base interpreter, the notebook's
// requirements (and ipykernel, if the base lacks it), the Tandem helper, then a check that the
// kernel imports. The caller renames the folder into the cache; since a venv's scripts name
// their own folder, paths are rewritten for the final place first.

import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BridgeLogger } from '../logger';
import type { ProgressTracker } from './build-progress';
import type { HelperWheel } from './helper-package';
import { type Command, envPython, type Installer } from './installer';
import type { Interpreter } from './interpreter';
import { runCommand } from './run-command';
import type { IndexOptions } from './spec';

export interface BuildPlan {
  id: string;
  base: Interpreter;
  requirements: string[];
  index: IndexOptions;
  /** The base has no ipykernel, so it is installed into the environment. */
  installsKernel: boolean;
  helper: HelperWheel | null;
}

export interface EnvironmentManifest {
  id: string;
  builtAt: string;
  buildMs: number;
  installer: 'uv' | 'pip';
  base: { python: string; version: string };
  requirements: string[];
  installsKernel: boolean;
  helper: string | null;
  ipykernel: string;
  /** What the environment itself holds (not what it sees of the base). */
  packages: { name: string; version: string }[];
}

/** A build that failed for a reason people can act on; the message carries the installer's error. */
export class EnvironmentBuildFailed extends Error {
  constructor(
    message: string,
    /** The installer's last lines, for logs. */
    readonly output: string[] = [],
  ) {
    super(message);
    this.name = 'EnvironmentBuildFailed';
  }
}

export interface BuildContext {
  staging: string;
  /** Where the environment will live once renamed. */
  final: string;
  installer: Installer;
  tracker: ProgressTracker;
  timeoutMs: number;
  signal?: AbortSignal;
  logger: BridgeLogger;
}

export const MANIFEST = 'tandem-env.json';

const CHECK = `
import importlib.metadata as md, json, sys, sysconfig
import ipykernel.kernelapp
site = sysconfig.get_paths()["purelib"]
own = sorted({(d.metadata["Name"], d.version) for d in md.distributions(path=[site]) if d.metadata["Name"]})
print(json.dumps({"ipykernel": md.version("ipykernel"), "packages": [{"name": n, "version": v} for n, v in own]}))
`;

export async function buildEnvironment(plan: BuildPlan, context: BuildContext): Promise<EnvironmentManifest> {
  const started = Date.now();
  const { installer, tracker, staging } = context;

  tracker.enter('creating');
  await step(context, installer.createVenv(plan.base, staging), 'Could not create the environment');

  const packages = [...plan.requirements, ...(plan.installsKernel ? ['ipykernel'] : [])];
  if (packages.length) {
    tracker.enter('installing');
    await step(context, installer.install(staging, packages, plan.index), 'Could not install the requirements');
  }
  if (plan.helper) {
    tracker.enter('helper');
    const local: IndexOptions = { extraIndexUrls: [], findLinks: [], noIndex: true };
    await step(context, installer.install(staging, [plan.helper.wheel], local, { noDeps: true }), 'Could not install the Tandem helper package');
  }

  tracker.enter('checking');
  const check = await runCommand(envPython(staging), ['-c', CHECK], { timeoutMs: context.timeoutMs, signal: context.signal, cwd: staging });
  if (check.code !== 0) {
    throw new EnvironmentBuildFailed(
      `ipykernel does not import in this environment, so no kernel could run in it (a requirement may pin a version of one of its dependencies that it cannot use):\n${summarise(check.lines)}`,
      check.lines,
    );
  }
  const found = JSON.parse(check.lines.findLast((line) => line.startsWith('{')) ?? '{}') as {
    ipykernel: string;
    packages: { name: string; version: string }[];
  };

  tracker.enter('finishing');
  await relocate(staging, context.final);
  const manifest: EnvironmentManifest = {
    id: plan.id,
    builtAt: new Date().toISOString(),
    buildMs: Date.now() - started,
    installer: installer.kind,
    base: { python: plan.base.path, version: plan.base.version },
    requirements: plan.requirements,
    installsKernel: plan.installsKernel,
    helper: plan.helper?.fingerprint ?? null,
    ipykernel: found.ipykernel,
    packages: found.packages,
  };
  await writeFile(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function step(context: BuildContext, { command, args }: Command, failure: string): Promise<void> {
  context.logger.debug({ command, args }, 'environment build step');
  const result = await runCommand(command, args, {
    timeoutMs: context.timeoutMs,
    signal: context.signal,
    // Installers print as they go only when they are not buffered.
    env: { ...process.env, PYTHONUNBUFFERED: '1', PIP_NO_INPUT: '1', NO_COLOR: '1', UV_NO_PROGRESS: '1' },
    onLine: (line) => context.tracker.line(line),
  });
  if (result.timedOut) throw new EnvironmentBuildFailed(`${failure}: it took longer than ${Math.round(context.timeoutMs / 60_000)} minutes`, result.lines);
  if (context.signal?.aborted) throw new EnvironmentBuildFailed(`${failure}: the build was stopped`, result.lines);
  if (result.code !== 0) throw new EnvironmentBuildFailed(`${failure}:\n${summarise(result.lines)}`, result.lines);
}

/** The installer's own error lines (pip's "ERROR:", uv's "error:" and "×"), or its last lines. */
export function summarise(lines: string[]): string {
  const first = lines.findIndex((line) => /^(ERROR|error)\b|^\s*×|Traceback \(most recent call last\)/.test(line));
  const picked = first === -1 ? lines.slice(-8) : lines.slice(first, first + 14);
  const text = picked.join('\n').trim() || '(the installer printed nothing)';
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** Rewrites the staging path to the final one in the venv's scripts and configuration. */
async function relocate(staging: string, final: string): Promise<void> {
  const candidates = [path.join(staging, 'pyvenv.cfg')];
  const bin = path.join(staging, 'bin');
  for (const name of await readdir(bin).catch(() => [] as string[])) candidates.push(path.join(bin, name));
  for (const file of candidates) {
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile() || info.size > 1024 * 1024) continue;
    const content = await readFile(file);
    if (content.includes(0) || !content.includes(staging)) continue;
    await writeFile(file, content.toString('utf8').replaceAll(staging, final));
  }
}
