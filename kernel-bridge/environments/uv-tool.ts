// Finds uv, the fast Python installer: on the PATH, or in Tandem's tools folder (in the user's
// cache, shared by every server and environment cache of that user), where it is installed once
// (with pip, from the package index) when it can be. Builds use pip until it is there; an
// air-gapped server simply keeps using pip.

import { constants } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { type BridgeLogger, describeError } from '../logger';
import type { Interpreter } from './interpreter';
import { runCommand } from './run-command';

/** auto: uv if on the PATH or installable, else pip. uv: uv only (installed if needed). pip: pip only. */
export type InstallerMode = 'auto' | 'uv' | 'pip';

const INSTALL_TIMEOUT_MS = 5 * 60_000;
// After a failed install (no network), try again only this much later.
const RETRY_AFTER_MS = 30 * 60_000;

export class UvTool {
  private installing: Promise<string | undefined> | undefined;
  private failedAt = 0;

  constructor(
    private readonly toolsDir: string,
    private readonly logger: BridgeLogger,
    private readonly env: NodeJS.ProcessEnv,
    /** Aborted on shutdown: an install under way is stopped. */
    private readonly signal: AbortSignal,
  ) {}

  private get installedPath(): string {
    return path.join(this.toolsDir, 'uv', 'bin', 'uv');
  }

  /** Resolves once no install is under way. */
  async settled(): Promise<void> {
    await this.installing;
  }

  /** uv's path if it is available now, without installing anything. */
  async find(): Promise<string | undefined> {
    for (const dir of (this.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      if (await executable(path.join(dir, 'uv'))) return path.join(dir, 'uv');
    }
    return (await executable(this.installedPath)) ? this.installedPath : undefined;
  }

  /**
   * Installs uv into the tools folder with `python -m pip install --target`, once; concurrent
   * callers share the attempt. Resolves undefined when it cannot be installed.
   */
  install(python: Interpreter): Promise<string | undefined> {
    if (!python.hasPip || this.signal.aborted || Date.now() - this.failedAt < RETRY_AFTER_MS) return Promise.resolve(undefined);
    this.installing ??= this.installOnce(python.path).finally(() => {
      this.installing = undefined;
    });
    return this.installing;
  }

  private async installOnce(python: string): Promise<string | undefined> {
    const existing = await this.find();
    if (existing) return existing;
    const staging = path.join(this.toolsDir, `.uv-${process.pid}-${Date.now()}`);
    await mkdir(this.toolsDir, { recursive: true });
    const started = Date.now();
    this.logger.info({ python }, 'installing uv for faster environment builds');
    const result = await runCommand(
      python,
      ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--progress-bar', 'off', '--target', staging, 'uv'],
      { timeoutMs: INSTALL_TIMEOUT_MS, env: this.env, signal: this.signal },
    );
    try {
      if (result.code !== 0 || !(await executable(path.join(staging, 'bin', 'uv')))) {
        this.failedAt = Date.now();
        this.logger.warn({ output: result.lines.slice(-5).join('\n') }, 'could not install uv; environments are built with pip');
        return undefined;
      }
      await rename(staging, path.join(this.toolsDir, 'uv')).catch(async (error: unknown) => {
        // Another server sharing this cache may have finished first; theirs is as good.
        if (!(await executable(this.installedPath))) throw error;
      });
      this.logger.info({ ms: Date.now() - started }, 'uv installed');
      return this.installedPath;
    } catch (error) {
      this.failedAt = Date.now();
      this.logger.warn({ error: describeError(error) }, 'could not install uv; environments are built with pip');
      return undefined;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
