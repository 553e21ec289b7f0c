// VersionStore held in memory: for tests, and the smallest example of the contract.

import type { VersionMeta, VersionStore } from './version-store';

interface Stored {
  meta: VersionMeta;
  state: Uint8Array;
}

export class MemoryVersionStore implements VersionStore {
  private readonly notebooks = new Map<string, Map<string, Stored>>();

  async save(fileId: string, meta: VersionMeta, state: Uint8Array): Promise<void> {
    const versions = this.notebooks.get(fileId) ?? new Map<string, Stored>();
    this.notebooks.set(fileId, versions);
    versions.set(meta.id, { meta: { ...meta, authors: [...meta.authors] }, state: state.slice() });
  }

  async list(fileId: string): Promise<VersionMeta[]> {
    const versions = [...(this.notebooks.get(fileId)?.values() ?? [])].map(({ meta }) => ({ ...meta }));
    return versions.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  async read(fileId: string, id: string): Promise<Uint8Array | undefined> {
    return this.notebooks.get(fileId)?.get(id)?.state.slice();
  }

  async remove(fileId: string, ids: readonly string[]): Promise<void> {
    const versions = this.notebooks.get(fileId);
    for (const id of ids) versions?.delete(id);
  }

  async removeAll(fileId: string): Promise<void> {
    this.notebooks.delete(fileId);
  }
}
