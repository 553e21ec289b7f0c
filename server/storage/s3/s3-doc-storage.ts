// An S3-compatible bucket behind DocStorage (layout in doc-keys.ts). The local write-ahead log
// lives under `walDir/{fileId}/{lineage}/`: a load replays what the bucket has and then any
// local generation of the same lineage, so a process killed before it shipped its last edits
// loses none of them when it starts again on the same machine.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DocHistory, DocMeta, DocStorage, LoadedHistory } from '../doc-storage';
import { parseLog, readLog, UpdateLog } from '../update-log';
import type { Bucket } from './bucket';
import { chunkKey, docPrefix, encodeHead, type Head, headKey, parseHead, stateKey } from './doc-keys';
import { type HistoryOptions, S3DocHistory } from './s3-doc-history';

export interface S3DocStorageOptions {
  bucket: Bucket;
  /** Local directory for the write-ahead logs; must survive a process restart. */
  walDir: string;
  /** How often at most a busy history ships its log (default 1 s). */
  shipIntervalMs?: number;
  onShipError?: HistoryOptions['onShipError'];
}

const LOG_FILE = /^log\.(\d+)\.bin$/;
/** A compaction may delete the state a load is about to read: read the head again. */
const LOAD_ATTEMPTS = 3;

export class S3DocStorage implements DocStorage {
  private readonly bucket: Bucket;
  private readonly walDir: string;
  private readonly historyOptions: HistoryOptions;

  constructor(options: S3DocStorageOptions) {
    this.bucket = options.bucket;
    this.walDir = options.walDir;
    this.historyOptions = { shipIntervalMs: options.shipIntervalMs ?? 1000, onShipError: options.onShipError ?? (() => {}) };
  }

  async load(fileId: string): Promise<LoadedHistory | undefined> {
    for (let attempt = 1; ; attempt++) {
      const headObject = await this.bucket.get(headKey(fileId));
      if (!headObject) return undefined;
      const head = parseHead(headObject.body, headKey(fileId));
      const state = await this.bucket.get(stateKey(fileId, head.lineage, head.epoch));
      if (!state) {
        if (attempt < LOAD_ATTEMPTS) continue;
        throw new Error(`the history of ${fileId} names a state that is not in the bucket`);
      }
      const updates: Uint8Array[] = [state.body];
      let logBytes = 0;
      let seq = head.next;
      for (; ; seq++) {
        const chunk = await this.bucket.get(chunkKey(fileId, head.lineage, seq));
        if (!chunk) break;
        updates.push(...parseLog(chunk.body).updates);
        logBytes += chunk.body.byteLength;
      }
      const local = this.replayLocal(fileId, head.lineage);
      updates.push(...local.updates);
      const history = new S3DocHistory(this.bucket, this.localDir(fileId, head.lineage), this.historyOptions, {
        head,
        etag: headObject.etag,
        nextSeq: seq,
        generations: local.generations,
        logBytes: logBytes + local.bytes,
      });
      return { meta: { ...head.meta }, updates, history, tornBytes: local.tornBytes };
    }
  }

  async create(meta: DocMeta, initialState: Uint8Array): Promise<DocHistory> {
    const previous = await this.bucket.get(headKey(meta.fileId));
    const head: Head = { meta: { ...meta }, lineage: randomBytes(8).toString('hex'), epoch: 0, next: 0 };
    await this.bucket.put(stateKey(meta.fileId, head.lineage, 0), initialState, { ifAbsent: true });
    const etag = await this.bucket.put(headKey(meta.fileId), encodeHead(head), previous ? { ifMatch: previous.etag } : { ifAbsent: true });
    // The old lineage's objects are unreachable now; a failed delete leaves garbage, not data.
    const keep = new Set([headKey(meta.fileId), stateKey(meta.fileId, head.lineage, 0)]);
    const old = (await this.bucket.list(docPrefix(meta.fileId)).catch(() => [])).filter((key) => !keep.has(key));
    await this.bucket.delete(old).catch(() => {});
    rmSync(join(this.walDir, meta.fileId), { recursive: true, force: true });
    mkdirSync(this.localDir(meta.fileId, head.lineage), { recursive: true, mode: 0o700 });
    return new S3DocHistory(this.bucket, this.localDir(meta.fileId, head.lineage), this.historyOptions, {
      head,
      etag,
      nextSeq: 0,
      generations: [],
      logBytes: 0,
    });
  }

  async remove(fileId: string): Promise<void> {
    // The head first: without it there is no history, whatever else is left.
    await this.bucket.delete([headKey(fileId)]);
    await this.bucket.delete(await this.bucket.list(docPrefix(fileId)));
    rmSync(join(this.walDir, fileId), { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    const keys = await this.bucket.list('docs/');
    return keys.filter((key) => key.endsWith('/head.json')).map((key) => key.slice('docs/'.length, -'/head.json'.length));
  }

  private localDir(fileId: string, lineage: string): string {
    return join(this.walDir, fileId, lineage);
  }

  /** This lineage's local generations; those of replaced lineages are dropped. */
  private replayLocal(fileId: string, lineage: string): { updates: Uint8Array[]; generations: number[]; bytes: number; tornBytes: number } {
    const dir = this.localDir(fileId, lineage);
    const parent = join(this.walDir, fileId);
    if (existsSync(parent)) {
      for (const name of readdirSync(parent)) if (name !== lineage) rmSync(join(parent, name), { recursive: true, force: true });
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const generations = readdirSync(dir)
      .map((name) => LOG_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const updates: Uint8Array[] = [];
    let bytes = 0;
    let tornBytes = 0;
    for (const generation of generations) {
      const path = join(dir, `log.${generation}.bin`);
      const contents = readLog(path);
      // Cuts a tail torn by a crash, so the generation can be shipped as it stands.
      if (contents.tornBytes) new UpdateLog(path, contents.validBytes).close();
      updates.push(...contents.updates);
      bytes += contents.validBytes;
      tornBytes += contents.tornBytes;
    }
    return { updates, generations, bytes, tornBytes };
  }
}
