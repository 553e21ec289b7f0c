// The History panel's state: the notebook's versions, the one selected and its content, and
// saving and restoring. The list is asked again when the panel opens, after this person saves
// or restores, and now and then while it is open.
import type { NotebookJSON } from '@common/nbformat';
import { describeError } from '../api/http';
import { fetchVersion, fetchVersions, restoreVersion, saveVersion, type VersionInfo } from '../api/versions';

export class VersionHistory {
  versions = $state.raw<VersionInfo[]>([]);
  selected = $state<string | null>(null);
  content = $state.raw<NotebookJSON | null>(null);
  failure = $state<string | null>(null);
  loading = $state(false);
  busy = $state(false);
  #request: AbortController | undefined;

  constructor(private readonly fileId: string) {}

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      this.versions = await fetchVersions(this.fileId);
      this.failure = null;
    } catch (err) {
      this.failure = describeError(err);
    } finally {
      this.loading = false;
    }
  }

  async select(id: string | null): Promise<void> {
    this.#request?.abort();
    this.selected = id;
    this.content = null;
    if (id === null) return;
    const request = new AbortController();
    this.#request = request;
    try {
      const { content } = await fetchVersion(this.fileId, id, request.signal);
      if (!request.signal.aborted) this.content = content;
    } catch (err) {
      if (!request.signal.aborted) this.failure = describeError(err);
    }
  }

  /** Saves a version now; returns its id. */
  async save(label: string | null): Promise<string> {
    const { id } = await this.#busy(() => saveVersion(this.fileId, label));
    await this.refresh();
    return id;
  }

  /** Restores the selected version, whole or some cells; returns the version kept before it. */
  async restore(cellIds?: string[]): Promise<string> {
    const id = this.selected;
    if (id === null) throw new Error('No version is selected');
    const { before } = await this.#busy(() => restoreVersion(this.fileId, id, cellIds));
    await this.refresh();
    return before;
  }

  dispose(): void {
    this.#request?.abort();
  }

  async #busy<T>(work: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }
}
