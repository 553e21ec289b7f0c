// What reacts to an open notebook's life, in one typed interface (after Hocuspocus's
// extensions). An extension is shared by all notebooks; when a notebook is loaded it attaches
// one listener to it, which lives exactly as long as the notebook stays loaded, so per-notebook
// state has one home and no registry keyed by fileId.

import type { Identity } from '../../common/api';
import type { SessionStatus } from '../../kernel-bridge';
import type { QueuedRun, RunPlan } from '../execution/run-records';
import type { OpenNotebook } from './open-notebook';

export interface NotebookListener {
  /**
   * A code cell was queued. The first listener to return a plan decides what the kernel runs
   * in its place. Must not throw for bad input: return code that reports it in the cell.
   */
  planRun?(run: QueuedRun): Promise<RunPlan | undefined>;
  /** The kernel session's status changed. */
  kernelStatus?(status: SessionStatus): void;
  /** A person's change to the document was applied. */
  edited?(identity: Identity): void;
  /** An edit made outside the room (the file, a contents PUT) is about to be merged. */
  beforeOutsideEdit?(): Promise<void>;
  /** The notebook is being unloaded (closed, deleted, or the server stops). */
  unload?(): Promise<void> | void;
}

export interface NotebookExtension<T extends NotebookListener = NotebookListener> {
  attach(notebook: OpenNotebook): T;
  /** The server is stopping: release what the extension holds for all notebooks. */
  dispose?(): Promise<void>;
  /** A notebook was deleted, loaded or not: forget what the extension stored for it. */
  forget?(fileId: string): Promise<void>;
}
