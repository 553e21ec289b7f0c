// A local directory written through to a bucket, under one key prefix (layout in file-keys.ts):
// brought in at start, each write the server makes stored, and changes other tools make in the
// bucket noticed by ETag (one HEAD for a file, one LIST for a folder). Writes are conditional on
// the ETag last read (If-Match), or If-None-Match: * for a new key, so a stale writer never
// overwrites another's object unseen.

import { createHash } from 'node:crypto';
import { type Dirent, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../atomic-write';
import type { FileMirror } from '../file-mirror';
import { KeyedSerial } from '../keyed-serial';
import { type Bucket, type ListedObject, StaleObjectError } from './bucket';
import { assertStorable, FOLDER_MARKER, folderOfMarker, isSafePath } from './file-keys';

export interface S3FileMirrorOptions {
  bucket: Bucket;
  /** Ends in '/': `files/` for the root, `state/` for the state directory. */
  keyPrefix: string;
  localDir: string;
  /** The files and folders (relative, with '/') that are mirrored; all but hidden ones when not given. */
  only?: readonly string[];
  /** Conditional writes (people's files); off for Tandem's own state, which one process writes. */
  conditional: boolean;
  /** Mode of files brought in from the bucket (Tandem's own are 0600); people's files keep theirs. */
  fileMode?: number;
  /** A folder is listed in the bucket at most this often (refreshFolder). */
  checkMs?: number;
  log: { warn(obj: object, msg?: string): void };
}

/** Tandem's own files are stored within about a second of a change, as the histories are. */
const TOUCH_DELAY_MS = 1000;
const TOUCH_RETRY_MS = 5000;
/** Objects brought in or sent out at once during a restore. */
const RESTORE_PARALLEL = 8;
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const unquote = (etag: string): string => etag.replace(/^"|"$/g, '');

export class S3FileMirror implements FileMirror {
  private readonly bucket: Bucket;
  private readonly keyPrefix: string;
  private readonly localDir: string;
  /** The ETag of each key as this mirror last read or wrote it. */
  private readonly etags = new Map<string, string>();
  private readonly serial = new KeyedSerial();
  private readonly pending = new Set<string>();
  /**
   * Size and time of each local file as it was last stored or brought in: a sweep stores what
   * differs, and deletes from the bucket what is gone from here. These are the files seen here.
   */
  private readonly stamps = new Map<string, string>();
  /** The local folders seen here (at start, by sweeps, made here): a sweep deletes the marker of one gone since. */
  private readonly folders = new Set<string>();
  private sweeping: Promise<void> | undefined;
  /** When each folder was last listed in the bucket. */
  private readonly folderCheckedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> = Promise.resolve();

  constructor(private readonly options: S3FileMirrorOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix;
    this.localDir = options.localDir;
  }

  async restore(): Promise<void> {
    const listed = await this.bucket.listObjects(this.keyPrefix);
    const inBucket = new Set<string>();
    const folders: string[] = [];
    const files: ListedObject[] = [];
    for (const object of listed) {
      const rel = object.key.slice(this.keyPrefix.length);
      const folder = folderOfMarker(rel);
      if (folder !== undefined) {
        if (folder === '' || this.included(folder)) folders.push(folder);
        inBucket.add(rel);
      } else if (this.included(rel)) {
        files.push(object);
        inBucket.add(rel);
      }
    }
    for (const folder of folders) await mkdir(this.absolute(folder), { recursive: true });
    await inParallel(files, (object) => this.reconcile(object));
    // Everything was just listed: folders need not be listed again for a while.
    const now = Date.now();
    this.folderCheckedAt.set('', now);
    // Folders are in the bucket as prefixes of its keys too: those need no marker.
    const prefixes = new Set<string>();
    for (const rel of inBucket) {
      const segments = rel.split('/');
      for (let n = 1; n < segments.length; n++) prefixes.add(segments.slice(0, n).join('/'));
    }
    for (const folder of prefixes) this.folderCheckedAt.set(folder, now);
    // What only this machine has (written while the bucket was out of reach, or a root that is
    // being moved to a bucket) goes up too: nothing is dropped.
    const local = await this.walk('');
    for (const entry of local) if (entry.folder) this.folders.add(entry.rel);
    await inParallel(local, async ({ rel, folder }) => {
      if (folder) {
        if (!prefixes.has(rel)) await this.folderMade(this.absolute(rel));
      } else if (!inBucket.has(rel)) {
        await this.upload(rel).catch((error: unknown) => this.options.log.warn({ path: rel, err: error }, 'could not store a local file in the bucket'));
      }
    });
  }

  /** Copies every local file (and folder) to the bucket, replacing what is there (`tandem copy --to`). */
  async pushAll(): Promise<number> {
    const local = await this.walk('');
    await inParallel(local, async ({ rel, folder }) => {
      if (folder) await this.folderMade(this.absolute(rel));
      else this.etags.set(rel, await this.bucket.put(this.keyOf(rel), await readFile(this.absolute(rel))));
    });
    return local.filter((entry) => !entry.folder).length;
  }

  /** Copies every file (and folder) in the bucket here, replacing what is here (`tandem copy --from`). */
  async pullAll(): Promise<number> {
    let files = 0;
    const listed = await this.bucket.listObjects(this.keyPrefix);
    await inParallel(listed, async (object) => {
      const rel = object.key.slice(this.keyPrefix.length);
      const folder = folderOfMarker(rel);
      if (folder !== undefined) {
        if (folder !== '' && this.included(folder)) await mkdir(this.absolute(folder), { recursive: true });
      } else if (this.included(rel)) {
        await this.download(rel);
        files++;
      }
    });
    return files;
  }

  accepts(path: string): void {
    const rel = this.relativeOf(path);
    assertStorable(this.bucket.prefix + this.keyPrefix, rel);
  }

  written(path: string): Promise<void> {
    const rel = this.relativeOf(path);
    if (!this.included(rel)) return Promise.resolve();
    return this.serial.run(rel, () => this.upload(rel));
  }

  touched(path: string): void {
    const rel = this.relativeOf(path);
    if (!this.included(rel)) return;
    this.pending.add(rel);
    this.arm(TOUCH_DELAY_MS);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.draining;
    await this.drain();
  }

  async removed(path: string): Promise<void> {
    const rel = this.relativeOf(path);
    await this.serial.run(rel, async () => {
      const under = await this.bucket.list(`${this.keyPrefix}${rel}/`);
      await this.bucket.delete([this.keyOf(rel), ...under]);
      this.etags.delete(rel);
      for (const key of under) this.etags.delete(key.slice(this.keyPrefix.length));
      this.moveSeen(rel, undefined);
    });
  }

  async renamed(from: string, to: string): Promise<void> {
    const fromRel = this.relativeOf(from);
    const toRel = this.relativeOf(to);
    const moves: [string, string][] = [];
    if (await this.bucket.etagOf(this.keyOf(fromRel))) moves.push([fromRel, toRel]);
    for (const key of await this.bucket.list(`${this.keyPrefix}${fromRel}/`)) {
      const rel = key.slice(this.keyPrefix.length);
      moves.push([rel, toRel + rel.slice(fromRel.length)]);
    }
    // Copies first, deletes after: a rename cut short leaves two copies, never none.
    for (const [a, b] of moves) {
      const etag = await this.bucket.copy(this.keyOf(a), this.keyOf(b));
      this.etags.set(b, etag);
    }
    await this.bucket.delete(moves.map(([a]) => this.keyOf(a)));
    for (const [a] of moves) this.etags.delete(a);
    this.moveSeen(fromRel, toRel);
    // A local file the bucket did not have yet (its upload failed) is stored under its new name.
    const moved = await stat(to).catch(() => undefined);
    if (moved?.isFile() && !moves.length) await this.written(to);
  }

  async folderMade(path: string): Promise<void> {
    const rel = this.relativeOf(path);
    if (rel) this.folders.add(rel);
    await this.bucket.put(this.keyOf(`${rel}/${FOLDER_MARKER}`), '', { ifAbsent: true }).catch((error: unknown) => {
      if (!(error instanceof StaleObjectError)) throw error;
    });
  }

  async refresh(path: string): Promise<boolean> {
    const rel = this.relativeOf(path);
    return this.serial.run(rel, async () => {
      const etag = await this.bucket.etagOf(this.keyOf(rel));
      if (etag === undefined || etag === this.etags.get(rel)) return false;
      // Written by this mirror before it knew the ETag (a retried PUT): the same bytes are no change.
      const local = await readFile(path).catch(() => undefined);
      if (local && md5(local) === unquote(etag)) {
        this.etags.set(rel, etag);
        return false;
      }
      return this.download(rel);
    });
  }

  async refreshFolder(path: string): Promise<void> {
    const rel = this.relativeOf(path);
    const every = this.options.checkMs ?? 0;
    const last = this.folderCheckedAt.get(rel);
    if (every <= 0 || (last !== undefined && Date.now() - last < every)) return;
    this.folderCheckedAt.set(rel, Date.now());
    const knownBefore = new Map(this.etags);
    const { objects, folders } = await this.bucket.listLevel(`${this.keyPrefix}${rel ? `${rel}/` : ''}`);
    // Deleted from the bucket by another tool: a local copy that is exactly what was stored, and
    // was not written again while the listing ran, goes too. A changed one stays (and is stored).
    const listed = new Set(objects.map((object) => object.key.slice(this.keyPrefix.length)));
    const here = await readdir(this.absolute(rel), { withFileTypes: true }).catch(() => []);
    for (const entry of here) {
      const entryRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (!entry.isFile() || listed.has(entryRel) || !knownBefore.has(entryRel)) continue;
      await this.serial.run(entryRel, async () => {
        if (this.etags.get(entryRel) !== knownBefore.get(entryRel) || (await this.stampOf(entryRel)) !== this.stamps.get(entryRel)) return;
        await rm(this.absolute(entryRel), { force: true });
        this.etags.delete(entryRel);
        this.stamps.delete(entryRel);
      });
    }
    for (const folder of folders) {
      const folderRel = rel ? `${rel}/${folder}` : folder;
      if (!this.included(folderRel)) continue;
      await mkdir(this.absolute(folderRel), { recursive: true });
      this.folders.add(folderRel);
    }
    await inParallel(objects, (object) => {
      const objectRel = object.key.slice(this.keyPrefix.length);
      if (!this.included(objectRel) || object.etag === this.etags.get(objectRel)) return Promise.resolve();
      return this.serial.run(objectRel, async () => {
        if (object.etag === this.etags.get(objectRel)) return;
        const local = await readFile(this.absolute(objectRel)).catch(() => undefined);
        if (local && md5(local) === unquote(object.etag)) this.etags.set(objectRel, object.etag);
        // Another tool's change since we last read it: the bucket's copy comes in.
        else if (this.etags.has(objectRel) || !local) await this.download(objectRel);
        else await this.reconcile(object);
      });
    });
  }

  sweep(): Promise<void> {
    this.sweeping ??= this.sweepNow().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  // What a sweep costs in requests: no LIST, and no HEAD of what it has seen before. A new file
  // is one HEAD (is the key free?) and one conditional PUT; a changed one, one conditional PUT;
  // a file gone since it was seen, one conditional DELETE; every folder gone since, together,
  // one DeleteObjects for their markers. An unchanged file is a local stat and no request, so a
  // sweep after cells that wrote and deleted nothing makes none, and a notebook whose kernel
  // does no work is never swept (execution/kernel-files.ts).
  private async sweepNow(): Promise<void> {
    // A local directory that is not there is a lost or unmounted cache, not a kernel's deletions.
    if (!(await stat(this.localDir).catch(() => undefined))?.isDirectory()) return;
    const entries = await this.walk('');
    for (const { rel, folder } of entries) {
      if (folder) {
        this.folders.add(rel);
        continue;
      }
      const stamp = await this.stampOf(rel);
      if (stamp === undefined || stamp === this.stamps.get(rel)) continue;
      await this.serial
        .run(rel, () => this.upload(rel, 'keep'))
        .catch((error: unknown) => {
          // A copy changed in the bucket meanwhile stays there, and this one here: neither is lost.
          this.options.log.warn({ path: rel, err: error }, 'could not store a file written outside Tandem in the bucket');
        });
    }
    await this.deleteGone(new Set(entries.map((entry) => entry.rel)));
  }

  /**
   * Deletes from the bucket the files and folders seen here that are gone now (a cell's
   * os.remove, shutil.rmtree, or the old name of a rename, whose new name the sweep has just
   * stored). Never "what is not here": a key another tool added that this cache has not listed
   * was never seen, and a file is gone only when the filesystem says so (ENOENT), not when its
   * folder cannot be read. Each file's DELETE is conditional on the ETag last stored or read, so
   * a copy another tool changed in the bucket since is kept (and comes back here with its
   * folder's next listing).
   */
  private async deleteGone(here: ReadonlySet<string>): Promise<void> {
    for (const rel of [...this.stamps.keys()]) {
      if (here.has(rel) || !(await this.isGone(rel))) continue;
      await this.serial
        .run(rel, async () => {
          // Written again, or deleted through Tandem, while the sweep ran.
          if (!this.stamps.has(rel) || !(await this.isGone(rel))) return;
          const etag = this.etags.get(rel);
          if (etag !== undefined) await this.bucket.deleteIfMatch(this.keyOf(rel), etag);
          this.etags.delete(rel);
          this.stamps.delete(rel);
        })
        .catch((error: unknown) => {
          if (error instanceof StaleObjectError) {
            this.etags.delete(rel);
            this.stamps.delete(rel);
            this.options.log.warn({ path: rel }, 'kept a file deleted here: another tool changed it in the bucket since');
          } else {
            this.options.log.warn({ path: rel, err: error }, 'could not delete a file from the bucket; the next sweep tries again');
          }
        });
    }
    const goneFolders: string[] = [];
    for (const rel of this.folders) if (!here.has(rel) && (await this.isGone(rel))) goneFolders.push(rel);
    if (!goneFolders.length) return;
    try {
      await this.bucket.delete(goneFolders.map((rel) => this.keyOf(`${rel}/${FOLDER_MARKER}`)));
      for (const rel of goneFolders) this.folders.delete(rel);
    } catch (error) {
      this.options.log.warn({ err: error }, "could not delete removed folders' markers from the bucket; the next sweep tries again");
    }
  }

  private async isGone(rel: string): Promise<boolean> {
    try {
      await stat(this.absolute(rel));
      return false;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR';
    }
  }

  /** What was seen at or under one path is now seen under another (a rename), or nowhere (a delete). */
  private moveSeen(fromRel: string, toRel: string | undefined): void {
    const under = (rel: string): boolean => rel === fromRel || rel.startsWith(`${fromRel}/`);
    for (const [rel, stamp] of [...this.stamps]) {
      if (!under(rel)) continue;
      this.stamps.delete(rel);
      if (toRel !== undefined) this.stamps.set(toRel + rel.slice(fromRel.length), stamp);
    }
    for (const rel of [...this.folders]) {
      if (!under(rel)) continue;
      this.folders.delete(rel);
      if (toRel !== undefined) this.folders.add(toRel + rel.slice(fromRel.length));
    }
  }

  private async stampOf(rel: string): Promise<string | undefined> {
    const info = await stat(this.absolute(rel)).catch(() => undefined);
    return info?.isFile() ? `${info.size}:${info.mtimeMs}` : undefined;
  }

  /**
   * Stores the local file, conditionally. A refused write brings the bucket's version in
   * (`download`, for files Tandem writes and can merge or answer 409 for) or leaves both as
   * they are (`keep`, for files written by other means).
   */
  private async upload(rel: string, onStale: 'download' | 'keep' = 'download'): Promise<void> {
    const path = this.absolute(rel);
    const stamp = await this.stampOf(rel);
    const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') return undefined;
      throw error;
    });
    if (!bytes) return;
    let known = this.etags.get(rel);
    if (known && unquote(known) === md5(bytes)) {
      if (stamp) this.stamps.set(rel, stamp);
      return;
    }
    // A key this process has not read since it started (written by another replica on the same
    // root, say) is read now: the write is still refused if it changes in between.
    if (!known && this.options.conditional) known = await this.bucket.etagOf(this.keyOf(rel));
    const condition = !this.options.conditional ? {} : known ? { ifMatch: known } : { ifAbsent: true };
    try {
      this.etags.set(rel, await this.bucket.put(this.keyOf(rel), bytes, condition));
      if (stamp) this.stamps.set(rel, stamp);
    } catch (error) {
      if (error instanceof StaleObjectError && onStale === 'download') await this.download(rel);
      throw error;
    }
  }

  /** Makes the local file the bucket's version; false when the key is gone. */
  private async download(rel: string): Promise<boolean> {
    const object = await this.bucket.get(this.keyOf(rel));
    if (!object) return false;
    const path = this.absolute(rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, object.body, existsSync(path) ? undefined : this.options.fileMode);
    this.etags.set(rel, object.etag);
    const stamp = await this.stampOf(rel);
    if (stamp) this.stamps.set(rel, stamp);
    return true;
  }

  /** One object of the bucket against the local file: the same, the bucket's newer, or ours. */
  private async reconcile(object: ListedObject): Promise<void> {
    const rel = object.key.slice(this.keyPrefix.length);
    const path = this.absolute(rel);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      if (!info) await this.download(rel);
      return;
    }
    if (md5(await readFile(path)) === unquote(object.etag)) {
      this.etags.set(rel, object.etag);
      this.stamps.set(rel, `${info.size}:${info.mtimeMs}`);
      return;
    }
    if (info.mtime > object.lastModified) {
      this.etags.set(rel, object.etag);
      await this.upload(rel).catch((error: unknown) => {
        if (!(error instanceof StaleObjectError)) throw error;
      });
    } else {
      await this.download(rel);
    }
  }

  private arm(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draining = this.drain();
    }, delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    const batch = [...this.pending];
    this.pending.clear();
    let failed = false;
    for (const rel of batch) {
      await this.serial
        .run(rel, () => this.upload(rel))
        .catch((error: unknown) => {
          failed = true;
          this.pending.add(rel);
          this.options.log.warn({ path: rel, err: error }, 'could not store a file in the bucket; trying again');
        });
    }
    if (failed) this.arm(TOUCH_RETRY_MS);
  }

  private async walk(under: string): Promise<{ rel: string; folder: boolean }[]> {
    const entries: Dirent[] = await readdir(join(this.localDir, under), { withFileTypes: true }).catch(() => []);
    const found: { rel: string; folder: boolean }[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = under ? `${under}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        const only = this.options.only;
        if (only && !this.included(rel) && !only.some((p) => p.startsWith(`${rel}/`))) continue;
        if (!only) found.push({ rel, folder: true });
        found.push(...(await this.walk(rel)));
      } else if (entry.isFile() && this.included(rel)) {
        found.push({ rel, folder: false });
      }
    }
    return found;
  }

  /**
   * Whether a path is mirrored. Keys another tool wrote are read through this too, so it is also
   * what keeps `..`, hidden, empty or control-character segments from reaching the local disk.
   */
  private included(rel: string): boolean {
    if (!isSafePath(rel)) return false;
    const only = this.options.only;
    return !only || only.some((p) => rel === p || rel.startsWith(`${p}/`));
  }

  private relativeOf(path: string): string {
    const rel = relative(this.localDir, path).split(sep).join('/');
    if (rel.startsWith('..')) throw new Error(`${path} is not under ${this.localDir}`);
    return rel;
  }

  private absolute(rel: string): string {
    return join(this.localDir, ...rel.split('/'));
  }

  private keyOf(rel: string): string {
    return this.keyPrefix + rel;
  }
}

async function inParallel<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(RESTORE_PARALLEL, items.length) }, worker));
}
