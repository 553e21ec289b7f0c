// The filesystem behind DocStorage: each notebook's history under the state directory:
//
//   docs/{fileId}/meta.json     lineage (sessionId) and what was last saved to the .ipynb
//   docs/{fileId}/state.bin     a compacted snapshot of the whole history
//   docs/{fileId}/log.{n}.bin   updates appended since, in generations
//
// Compaction never blocks appends: it starts a new log generation, snapshots the document,
// writes the snapshot atomically, and only then drops the older generations. Replaying an
// update the snapshot already holds is harmless (Yjs updates are idempotent), so a crash at
// any step loses nothing.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write';
import type { DocHistory, DocMeta, DocStorage, LoadedHistory } from './doc-storage';
import { readLog, UpdateLog } from './update-log';

const LOG_FILE = /^log\.(\d+)\.bin$/;

function logGenerations(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => LOG_FILE.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export class FsDocStorage implements DocStorage {
  constructor(private readonly stateDir: string) {}

  private dirOf(fileId: string): string {
    return join(this.stateDir, 'docs', fileId);
  }

  /** The stored history, or undefined when there is none (never opened, or lost). */
  // Reads are synchronous inside: a room's load must not interleave with its first appends.
  async load(fileId: string): Promise<LoadedHistory | undefined> {
    const dir = this.dirOf(fileId);
    const metaPath = join(dir, 'meta.json');
    const statePath = join(dir, 'state.bin');
    const generations = logGenerations(dir);
    if (!existsSync(metaPath) || (!existsSync(statePath) && generations.length === 0)) return undefined;
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as DocMeta;
    const updates: Uint8Array[] = [];
    if (existsSync(statePath)) updates.push(new Uint8Array(readFileSync(statePath)));
    let tornBytes = 0;
    let validBytes = 0;
    for (const generation of generations) {
      const contents = readLog(join(dir, `log.${generation}.bin`));
      updates.push(...contents.updates);
      tornBytes += contents.tornBytes;
      validBytes = contents.validBytes;
    }
    const current = generations.length ? generations[generations.length - 1] : 0;
    const history = new FsDocHistory(dir, meta, current, generations.length ? validBytes : 0, generations);
    return { meta, updates, history, tornBytes };
  }

  /**
   * Starts a new history from a complete initial state (built from the .ipynb). Any older
   * history files are removed: a new lineage must not be mixed with remains of the old.
   */
  async create(meta: DocMeta, initialState: Uint8Array): Promise<DocHistory> {
    const dir = this.dirOf(meta.fileId);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(join(dir, 'state.bin'), initialState, 0o600);
    writeFileAtomicSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 1), 0o600);
    return new FsDocHistory(dir, meta, 0, 0, []);
  }

  async remove(fileId: string): Promise<void> {
    rmSync(this.dirOf(fileId), { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    const names = await readdir(join(this.stateDir, 'docs')).catch(() => [] as string[]);
    return names.filter((name) => existsSync(join(this.stateDir, 'docs', name, 'meta.json')));
  }
}

class FsDocHistory implements DocHistory {
  private log: UpdateLog;
  private compacting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    private meta: DocMeta,
    private generation: number,
    validBytes: number,
    private olderGenerations: number[],
  ) {
    this.log = new UpdateLog(join(dir, `log.${generation}.bin`), validBytes);
    this.olderGenerations = olderGenerations.filter((g) => g !== generation);
  }

  get sessionId(): string {
    return this.meta.sessionId;
  }

  get savedHash(): string | undefined {
    return this.meta.savedHash;
  }

  /** Bytes appended since the last compaction: the cue to compact again. */
  get logBytes(): number {
    return this.log.size;
  }

  append(update: Uint8Array): void {
    if (this.closed) throw new Error('document history is closed');
    this.log.append(update);
  }

  async setSavedHash(hash: string): Promise<void> {
    this.meta = { ...this.meta, savedHash: hash };
    if (!this.closed) await writeFileAtomic(join(this.dir, 'meta.json'), JSON.stringify(this.meta, null, 1), 0o600);
  }

  /** Folds the logs into one snapshot. `encodeState` must return the document's full state. */
  compact(encodeState: () => Uint8Array): Promise<void> {
    if (this.compacting) return this.compacting;
    const previous = [...this.olderGenerations, this.generation];
    this.generation += 1;
    this.log.close();
    this.log = new UpdateLog(join(this.dir, `log.${this.generation}.bin`), 0);
    // Taken after the switch: every update from now on lands in the new generation.
    const state = encodeState();
    this.compacting = writeFileAtomic(join(this.dir, 'state.bin'), state, 0o600)
      .then(() => {
        for (const generation of previous) {
          try {
            unlinkSync(join(this.dir, `log.${generation}.bin`));
          } catch {
            // Already gone.
          }
        }
        this.olderGenerations = [];
      })
      .catch((error: unknown) => {
        // The old generations stay: they still hold everything the snapshot failed to.
        this.olderGenerations = previous;
        throw error;
      })
      .finally(() => {
        this.compacting = undefined;
      });
    return this.compacting;
  }

  async close(): Promise<void> {
    await this.compacting?.catch(() => {});
    if (this.closed) return;
    this.closed = true;
    this.log.close();
  }
}
