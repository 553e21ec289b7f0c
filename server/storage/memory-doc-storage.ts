// DocStorage held in memory: for tests of everything above storage, and the smallest example
// of what an implementation must do. Nothing survives the process.

import type { DocHistory, DocMeta, DocStorage, LoadedHistory } from './doc-storage';

interface Stored {
  meta: DocMeta;
  state: Uint8Array;
  log: Uint8Array[];
  logBytes: number;
}

export class MemoryDocStorage implements DocStorage {
  private readonly docs = new Map<string, Stored>();

  async load(fileId: string): Promise<LoadedHistory | undefined> {
    const stored = this.docs.get(fileId);
    if (!stored) return undefined;
    return { meta: { ...stored.meta }, updates: [stored.state, ...stored.log], history: new MemoryDocHistory(stored), tornBytes: 0 };
  }

  async create(meta: DocMeta, initialState: Uint8Array): Promise<DocHistory> {
    const stored: Stored = { meta: { ...meta }, state: initialState, log: [], logBytes: 0 };
    this.docs.set(meta.fileId, stored);
    return new MemoryDocHistory(stored);
  }

  async remove(fileId: string): Promise<void> {
    this.docs.delete(fileId);
  }

  async list(): Promise<string[]> {
    return [...this.docs.keys()];
  }
}

class MemoryDocHistory implements DocHistory {
  private closed = false;

  constructor(private readonly stored: Stored) {}

  get sessionId(): string {
    return this.stored.meta.sessionId;
  }

  get savedHash(): string | undefined {
    return this.stored.meta.savedHash;
  }

  get logBytes(): number {
    return this.stored.logBytes;
  }

  append(update: Uint8Array): void {
    if (this.closed) throw new Error('document history is closed');
    // A copy: the caller's buffer may be reused.
    this.stored.log.push(update.slice());
    this.stored.logBytes += update.byteLength;
  }

  async setSavedHash(hash: string): Promise<void> {
    this.stored.meta = { ...this.stored.meta, savedHash: hash };
  }

  async compact(encodeState: () => Uint8Array): Promise<void> {
    this.stored.state = encodeState();
    this.stored.log = [];
    this.stored.logBytes = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
