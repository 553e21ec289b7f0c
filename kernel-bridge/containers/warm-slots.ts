// Empty folders that warm kernel containers mount as their working directory, so that a
// notebook's folder can appear there later, in a container already running. A container's mounts
// are fixed when it starts; what can change is what is mounted below them, if the mount
// propagates. So the slots folder is made a shared mount of its own, each warm container mounts
// its slot as a slave of it (`bind-propagation=rslave`), and claiming the container bind-mounts
// the notebook's folder onto the slot on the host: the container sees it at once.
//
// Mounting needs root (CAP_SYS_ADMIN in the server's mount namespace). Rootless podman cannot
// do this, and then there are no slots: containers start cold, as before.
//
// Mounts outlive a server killed with -9, so prepare() first unmounts whatever an earlier run
// left under the folder (after the caller removed that run's containers), and close() unmounts
// everything on shutdown.

import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../environments/run-command';
import { type BridgeLogger, describeError, silentLogger } from '../logger';

const COMMAND_TIMEOUT_MS = 10_000;

export class WarmSlots {
  private usable = false;
  private readonly logger: BridgeLogger;

  constructor(
    /** Where slots live: a folder of the server's own (in its state directory). */
    readonly dir: string,
    logger?: BridgeLogger,
  ) {
    this.dir = path.resolve(dir);
    this.logger = logger ?? silentLogger;
  }

  /** True once prepare() made the folder a shared mount: warm containers can be claimed. */
  get enabled(): boolean {
    return this.usable;
  }

  /**
   * Removes what an earlier run left (mounts, slots, claim records), then, if `enable`, makes
   * the folder a shared mount. Never rejects: without mounts, slots are off and the reason is
   * logged once.
   */
  async prepare(enable = true): Promise<void> {
    if (os.userInfo().uid !== 0) {
      if (!enable) return;
      this.logger.info(
        {},
        'no warm pool for containers: it needs root to mount notebook folders into running containers (rootless podman starts each kernel cold)',
      );
      return;
    }
    try {
      await this.unmountAll();
      await rm(this.dir, { recursive: true, force: true });
      if (!enable) return;
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // A mount of its own, private first so that it joins no peer group of the filesystem it
      // sits on (a shared / would otherwise see every slot mount), then shared for the slaves.
      await mount(['--bind', this.dir, this.dir]);
      await mount(['--make-private', this.dir]);
      await mount(['--make-shared', this.dir]);
      this.usable = true;
    } catch (error) {
      this.logger.info({ error: describeError(error) }, 'no warm pool for containers: could not make a shared mount for notebook folders (kernels start cold)');
      await this.unmountAll().catch(() => {});
    }
  }

  /** An empty folder for a warm container to mount, named after it. */
  async create(name: string): Promise<string> {
    const slot = this.pathOf(name);
    await mkdir(slot, { mode: 0o755 });
    return slot;
  }

  /** Mounts the notebook's folder onto the slot, and records whose it is now. */
  async fill(name: string, folder: string, notebookId: string): Promise<void> {
    await mount(['--bind', folder, this.pathOf(name)]);
    const record = { container: name, notebook: notebookId, folder, claimedAt: new Date().toISOString() };
    await writeFile(`${this.pathOf(name)}.json`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }

  /** Unmounts the slot (if filled) and removes it; for a container that is gone. Never rejects. */
  async release(name: string): Promise<void> {
    const slot = this.pathOf(name);
    try {
      if (mountPointsUnder(slot).length) await umount(slot);
      await rm(`${slot}.json`, { force: true });
      await rmdir(slot).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    } catch (error) {
      this.logger.warn({ slot, error: describeError(error) }, 'could not release a warm container slot');
    }
  }

  /** Unmounts every slot and the folder itself; for shutdown, after the containers are gone. */
  async close(): Promise<void> {
    if (!this.usable) return;
    this.usable = false;
    try {
      await this.unmountAll();
      for (const entry of await readdir(this.dir).catch(() => [] as string[])) await rm(path.join(this.dir, entry), { recursive: true, force: true });
    } catch (error) {
      this.logger.warn({ dir: this.dir, error: describeError(error) }, 'could not unmount warm container slots');
    }
  }

  private pathOf(name: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`not a slot name: ${name}`);
    return path.join(this.dir, name);
  }

  /** Every mount at or below the folder, deepest first (a folder may be mounted over more than once). */
  private async unmountAll(): Promise<void> {
    for (let pass = 0; pass < 16; pass++) {
      const mounted = mountPointsUnder(this.dir);
      if (!mounted.length) return;
      // Lazily: a process still in a slot (there should be none) must not keep the mount in the tree.
      // A failure is not the end: a slot's release() may have unmounted it meanwhile (shutdown
      // stops kernels and closes the slots at once), and the next pass reads the table again.
      for (const target of mounted) await umount(target, true).catch(() => {});
    }
    throw new Error(`mounts under ${this.dir} remain after unmounting them`);
  }
}

/** Mount points at or below `dir` (from /proc/self/mountinfo), deepest (and latest) first. */
export function mountPointsUnder(dir: string): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const line of table.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    // Spaces, tabs, newlines and backslashes in paths are written as octal escapes.
    const target = field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
    if (target === dir || target.startsWith(`${dir}/`)) found.push(target);
  }
  return found.reverse().sort((a, b) => b.split('/').length - a.split('/').length);
}

async function mount(args: string[]): Promise<void> {
  const result = await runCommand('mount', args, { timeoutMs: COMMAND_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`mount ${args.join(' ')} failed: ${result.lines.join('\n') || `exit code ${result.code}`}`);
}

async function umount(target: string, lazy = false): Promise<void> {
  const result = await runCommand('umount', lazy ? ['--lazy', target] : [target], { timeoutMs: COMMAND_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`umount ${target} failed: ${result.lines.join('\n') || `exit code ${result.code}`}`);
}
