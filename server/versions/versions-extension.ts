// Version history as a notebook extension: each loaded notebook gets its own NotebookVersions,
// living exactly as long as the notebook stays loaded; the store outlives them all.

import type { NotebookExtension } from '../notebooks/notebook-extension';
import type { RoomLogger } from '../rooms/room';
import type { VersionStore } from '../storage/version-store';
import { NotebookVersions, type VersionSettings } from './notebook-versions';

export function versionsExtension(store: VersionStore, settings: VersionSettings, log: RoomLogger): NotebookExtension<NotebookVersions> {
  return {
    attach: (notebook) => new NotebookVersions(notebook.fileId, notebook.room, store, settings, log),
    forget: (fileId) => store.removeAll(fileId),
  };
}
