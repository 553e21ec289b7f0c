// One open notebook's history on S3. Appends go to a local write-ahead log first (synchronous,
// so kill -9 loses nothing), in generations: each ship closes the current generation and PUTs
// what is unshipped as one log chunk, at most once per `shipIntervalMs` and only after an
// append, so an idle history writes nothing and a closed one sends nothing. Local generations
// are dropped only after a compaction has been accepted by the head's conditional write:
// a writer that turns out to be stale still holds every edit locally, and a new load merges it.

import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { DocHistory, DocMeta } from '../doc-storage';
import { UpdateLog } from '../update-log';
import { type Bucket, StaleObjectError } from './bucket';
import { chunkKey, encodeHead, type Head, headKey, stateKey } from './doc-keys';

export interface HistoryOptions {
  shipIntervalMs: number;
  /** Called when a background ship fails; the local log still holds everything. */
  onShipError: (fileId: string, error: unknown) => void;
}

export interface OpenState {
  head: Head;
  etag: string;
  /** The first chunk number nobody has written yet, as far as this writer knows. */
  nextSeq: number;
  /** Local generations left by an earlier process: not yet known to be compacted. */
  generations: number[];
  logBytes: number;
}

const MAX_RETRY_MS = 30_000;
/** A ship still not through after this long means the bucket is out of reach: saving is paused. */
const PAUSED_AFTER_MS = 3000;

export class S3DocHistory implements DocHistory {
  private head: Head;
  private etag: string;
  private nextSeq: number;
  private generation: number;
  private log: UpdateLog;
  private unshipped: number[];
  private uncompacted: number[];
  private bytesSinceCompaction: number;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stale: StaleObjectError | undefined;
  private closed = false;
  private reachable = true;
  private reachability: ((reachable: boolean) => void) | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly bucket: Bucket,
    private readonly walDir: string,
    private readonly options: HistoryOptions,
    open: OpenState,
  ) {
    this.head = open.head;
    this.etag = open.etag;
    this.nextSeq = open.nextSeq;
    this.unshipped = [...open.generations];
    this.uncompacted = [...open.generations];
    this.generation = open.generations.length ? Math.max(...open.generations) + 1 : 0;
    this.log = new UpdateLog(this.pathOf(this.generation), 0);
    this.bytesSinceCompaction = open.logBytes;
    if (this.unshipped.length) this.scheduleShip(this.options.shipIntervalMs);
  }

  get sessionId(): string {
    return this.head.meta.sessionId;
  }

  get savedHash(): string | undefined {
    return this.head.meta.savedHash;
  }

  get logBytes(): number {
    return this.bytesSinceCompaction;
  }

  onReachability(listener: (reachable: boolean) => void): void {
    this.reachability = listener;
  }

  append(update: Uint8Array): void {
    if (this.closed) throw new Error('document history is closed');
    const before = this.log.size;
    this.log.append(update);
    this.bytesSinceCompaction += this.log.size - before;
    this.scheduleShip(this.options.shipIntervalMs);
  }

  async setSavedHash(hash: string): Promise<void> {
    const meta: DocMeta = { ...this.head.meta, savedHash: hash };
    if (this.closed) {
      this.head = { ...this.head, meta };
      return;
    }
    await this.serial(async () => {
      this.throwIfStale();
      await this.writeHead({ ...this.head, meta });
    });
  }

  compact(encodeState: () => Uint8Array): Promise<void> {
    return this.serial(async () => {
      if (this.closed) throw new Error('document history is closed');
      this.throwIfStale();
      // The stored state already holds everything: a notebook opened and closed unedited writes nothing.
      if (this.bytesSinceCompaction === 0) return;
      this.rotate();
      const folded = [...this.uncompacted];
      // Taken after the rotation: every update from now on lands in a newer generation.
      const state = encodeState();
      const previous = this.head;
      const epoch = previous.epoch + 1;
      const key = stateKey(previous.meta.fileId, previous.lineage, epoch);
      await this.bucket.put(key, state, { ifAbsent: true }).catch((error: unknown) => this.refused(error));
      try {
        await this.writeHead({ ...previous, epoch, next: this.nextSeq });
      } catch (error) {
        await this.bucket.delete([key]).catch(() => {});
        throw error;
      }
      this.uncompacted = this.uncompacted.filter((g) => !folded.includes(g));
      this.unshipped = this.unshipped.filter((g) => !folded.includes(g));
      for (const generation of folded) this.dropGeneration(generation);
      this.bytesSinceCompaction = this.log.size;
      // Nothing reads these any more; leftovers after a failed delete are garbage, not data.
      const garbage = [stateKey(previous.meta.fileId, previous.lineage, previous.epoch)];
      for (let seq = previous.next; seq < this.nextSeq; seq++) garbage.push(chunkKey(previous.meta.fileId, previous.lineage, seq));
      await this.bucket.delete(garbage).catch(() => {});
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.timer = undefined;
    await this.serial(() => this.ship()).catch((error: unknown) => this.options.onShipError(this.head.meta.fileId, error));
    this.log.close();
    if (this.log.appended === 0) this.dropGeneration(this.generation);
  }

  private scheduleShip(delayMs: number): void {
    if (this.timer || this.stale || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A ship that hangs (a bucket that stopped answering) pauses saving as surely as one that
      // fails. Armed once: ships queued behind a hung one must not keep putting it off.
      if (!this.watchdog) {
        this.watchdog = setTimeout(() => this.setReachable(false), PAUSED_AFTER_MS);
        this.watchdog.unref();
      }
      this.serial(() => this.ship()).then(
        () => {
          this.disarmWatchdog();
          this.failures = 0;
          this.setReachable(true);
        },
        (error: unknown) => {
          this.disarmWatchdog();
          this.options.onShipError(this.head.meta.fileId, error);
          this.setReachable(false);
          this.failures++;
          this.scheduleShip(Math.min(MAX_RETRY_MS, this.options.shipIntervalMs * 2 ** this.failures));
        },
      );
    }, delayMs);
    // The local log already holds every update: a pending ship must not keep the process alive.
    this.timer.unref();
  }

  private disarmWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private setReachable(reachable: boolean): void {
    if (reachable === this.reachable || this.closed) return;
    this.reachable = reachable;
    this.reachability?.(reachable);
  }

  private async ship(): Promise<void> {
    if (this.stale) return;
    this.rotate();
    if (this.unshipped.length === 0) return;
    const shipping = [...this.unshipped];
    const body = Buffer.concat(shipping.map((g) => readFileSync(this.pathOf(g))));
    const key = chunkKey(this.head.meta.fileId, this.head.lineage, this.nextSeq);
    await this.bucket.put(key, body, { ifAbsent: true }).catch((error: unknown) => this.refused(error));
    this.nextSeq++;
    this.unshipped = this.unshipped.filter((g) => !shipping.includes(g));
  }

  /** Closes the current generation if it holds anything, and opens the next one. */
  private rotate(): void {
    if (this.log.appended === 0) return;
    this.log.close();
    this.unshipped.push(this.generation);
    this.uncompacted.push(this.generation);
    this.generation++;
    this.log = new UpdateLog(this.pathOf(this.generation), 0);
  }

  private async writeHead(head: Head): Promise<void> {
    this.etag = await this.bucket.put(headKey(head.meta.fileId), encodeHead(head), { ifMatch: this.etag }).catch((error: unknown) => this.refused(error));
    this.head = head;
  }

  private refused(error: unknown): never {
    if (error instanceof StaleObjectError) {
      this.stale = error;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    throw error;
  }

  private throwIfStale(): void {
    if (this.stale) throw this.stale;
  }

  private dropGeneration(generation: number): void {
    try {
      unlinkSync(this.pathOf(generation));
    } catch {
      // Already gone.
    }
  }

  private pathOf(generation: number): string {
    return join(this.walDir, `log.${generation}.bin`);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => {});
    return run;
  }
}
