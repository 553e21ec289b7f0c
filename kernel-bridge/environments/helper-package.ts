// The Tandem helper package (images/tandem-helper, importable as `tandem`), which goes into
// every environment. Its fingerprint — a hash of its sources — is part of each environment's
// id, so a changed helper gives new environments. It is built into a wheel once per
// fingerprint, from a copy (building in place would leave build/ and *.egg-info in the source
// tree), and installed with --no-deps: it must not pull anything into a notebook's environment.
// A helper that is absent, or cannot be built, leaves environments without it; they pick it up
// once it is there.

import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BridgeLogger } from '../logger';
import type { Interpreter } from './interpreter';
import { runCommand } from './run-command';

export interface HelperWheel {
  fingerprint: string;
  wheel: string;
}

const SKIP = new Set(['__pycache__', 'build', 'dist', '.git', '.pytest_cache', '.mypy_cache', '.venv', 'node_modules']);
const BUILD_TIMEOUT_MS = 5 * 60_000;
// Sources are hashed again at most this often: cheap, and keeps a helper added later visible.
const FINGERPRINT_TTL_MS = 2000;
const RETRY_FAILED_BUILD_MS = 10 * 60_000;

export class HelperPackage {
  private fingerprintCache: { at: number; value: Promise<string | null> } | undefined;
  private readonly builds = new Map<string, Promise<HelperWheel | null>>();
  private readonly failed = new Map<string, number>();

  constructor(
    /** images/tandem-helper, or undefined to build environments without it. */
    private readonly sourceDir: string | undefined,
    /** Where wheels are kept, one folder per fingerprint. */
    private readonly wheelsDir: string,
    private readonly logger: BridgeLogger,
    /** Aborted on shutdown: a build under way is stopped. */
    private readonly signal: AbortSignal,
  ) {}

  /** Resolves once no build is under way. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.builds.values());
  }

  /** The wheel to install, building it if needed; null while there is no usable helper. */
  async wheel(python: Interpreter): Promise<HelperWheel | null> {
    const fingerprint = await this.fingerprint();
    if (!fingerprint) return null;
    if (Date.now() - (this.failed.get(fingerprint) ?? 0) < RETRY_FAILED_BUILD_MS) return null;
    let build = this.builds.get(fingerprint);
    if (!build) {
      build = this.build(fingerprint, python);
      this.builds.set(fingerprint, build);
      void build.then((result) => {
        if (!result) {
          this.builds.delete(fingerprint);
          this.failed.set(fingerprint, Date.now());
        }
      });
    }
    return build;
  }

  private fingerprint(): Promise<string | null> {
    if (this.fingerprintCache && Date.now() - this.fingerprintCache.at < FINGERPRINT_TTL_MS) return this.fingerprintCache.value;
    const value = this.computeFingerprint().catch(() => null);
    this.fingerprintCache = { at: Date.now(), value };
    return value;
  }

  private async computeFingerprint(): Promise<string | null> {
    const dir = this.sourceDir;
    if (!dir) return null;
    const hasProject = await Promise.all(
      ['pyproject.toml', 'setup.py'].map((f) =>
        stat(path.join(dir, f)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!hasProject.some(Boolean)) return null;
    const hash = createHash('sha256');
    for (const file of await listFiles(dir)) {
      hash
        .update(file)
        .update('\0')
        .update(await readFile(path.join(dir, file)))
        .update('\0');
    }
    return hash.digest('hex').slice(0, 16);
  }

  private async build(fingerprint: string, python: Interpreter): Promise<HelperWheel | null> {
    const outDir = path.join(this.wheelsDir, fingerprint);
    const existing = await findWheel(outDir);
    if (existing) return { fingerprint, wheel: existing };
    if (!python.hasPip) {
      this.logger.warn({ python: python.path }, 'cannot build the Tandem helper package: this Python has no pip');
      return null;
    }
    const staging = path.join(this.wheelsDir, `.build-${fingerprint}-${process.pid}-${Date.now()}`);
    try {
      await mkdir(staging, { recursive: true });
      const source = path.join(staging, 'src');
      await cp(this.sourceDir!, source, { recursive: true, filter: (from) => !SKIP.has(path.basename(from)) && !from.endsWith('.egg-info') });
      const wheels = path.join(staging, 'wheels');
      const base = ['-m', 'pip', 'wheel', '--no-deps', '--no-input', '--disable-pip-version-check', '--progress-bar', 'off', '-w', wheels];
      // The build backend usually comes with the interpreter (setuptools); fetching it into an
      // isolated build environment is the fallback, and needs the package index.
      const options = { timeoutMs: BUILD_TIMEOUT_MS, signal: this.signal };
      let result = await runCommand(python.path, [...base, '--no-build-isolation', source], options);
      if (result.code !== 0 && !this.signal.aborted) result = await runCommand(python.path, [...base, source], options);
      const wheel = await findWheel(wheels);
      if (result.code !== 0 || !wheel) {
        this.logger.warn({ output: result.lines.slice(-8).join('\n') }, 'could not build the Tandem helper package; environments are built without it');
        return null;
      }
      await rename(wheels, outDir).catch(async (error: unknown) => {
        if (!(await findWheel(outDir))) throw error;
      });
      const built = await findWheel(outDir);
      this.logger.info({ fingerprint }, 'built the Tandem helper package');
      return built ? { fingerprint, wheel: built } : null;
    } catch (error) {
      this.logger.warn({ error: String(error) }, 'could not build the Tandem helper package; environments are built without it');
      return null;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(path.join(root, prefix), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (SKIP.has(entry.name) || entry.name.endsWith('.egg-info') || entry.name.endsWith('.pyc')) continue;
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

async function findWheel(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const wheel = names.find((name) => name.endsWith('.whl'));
  return wheel ? path.join(dir, wheel) : undefined;
}
