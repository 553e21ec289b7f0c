// The notebook's commands, in one place for the toolbar, the menus, the command-mode keys
// and the editors' keys: selection and mode (as JupyterLab has them), cell edits, running,
// and undo of our own changes only.

import { type EnvironmentSpec, type Role, roleAtLeast } from '@common/doc-schema';
import { tick } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import * as Y from 'yjs';
import { answerInput, cancelRun, execute, kernelAction } from '../api/execution';
import type { Me } from '../api/me';
import { pinSnapshot, refreshCell, unpinSnapshot } from '../api/snapshots';
import { saveVersion } from '../api/versions';
import type { CellEditor } from '../editor/cell-editor';
import { toasts } from '../ui/toasts.svelte';
import type { CellType } from './cell.svelte';
import { CellUndo } from './cell-undo';
import { clipboardCells, copyCells } from './clipboard';
import * as edits from './edits';
import { JobBoard } from './job-board.svelte';
import { NotebookModel } from './notebook.svelte';
import { PresenceModel } from './presence.svelte';
import { RunsModel } from './runs.svelte';
import { LOCAL_ORIGIN, type NotebookSession } from './session.svelte';
import { type QueryMode, writeEnvironment, writeQueryMode } from './tandem-metadata';

export type Mode = 'command' | 'edit';
export type SidePanel = 'environment' | 'history' | 'runs';
export type RunMode = 'stay' | 'advance' | 'insert';
/** The notebook's own dialogs; one at a time. */
export type NotebookDialog = 'restart' | 'restart-run' | 'shutdown' | 'help' | 'palette' | 'run-job';

export class NotebookController {
  readonly model: NotebookModel;
  readonly runs: RunsModel;
  /** Headless runs of this notebook (jobs), live from the server. */
  readonly jobs: JobBoard;
  readonly presence: PresenceModel;
  readonly undoManager: Y.UndoManager;
  readonly #cellUndo: CellUndo;
  readonly editors = new Map<string, CellEditor>();

  activeId = $state<string | null>(null);
  /** The other end of a multi-cell selection (Shift-Up/Down); equals activeId when single. */
  anchorId = $state<string | null>(null);
  mode = $state<Mode>('command');
  /** Markdown cells shown as source rather than rendered. */
  readonly editingMarkdown = new SvelteSet<string>();
  /** Cells whose outputs this person has hidden (O); a view setting, not shared. */
  readonly hiddenOutputs = new SvelteSet<string>();
  /** Cells whose editor must exist now, although they are off screen (see CellEditorHost). */
  readonly mountRequests = new SvelteSet<string>();
  lineNumbers = $state(false);
  /** The panel open beside the cells, if any; a view setting, not shared. */
  sidePanel = $state<SidePanel | null>(null);
  /** Bumped when this person saves a version elsewhere than the History panel, so it refreshes. */
  versionsChanged = $state(0);
  canUndo = $state(false);
  canRedo = $state(false);
  dialog = $state<NotebookDialog | null>(null);
  /** False while another app tab is shown: this notebook then takes no keys. */
  visible = $state(true);

  /** Element that holds keyboard focus in command mode. */
  container: HTMLElement | null = null;

  constructor(
    readonly session: NotebookSession,
    readonly me: Me,
    readonly role: Role,
  ) {
    this.model = new NotebookModel(session.ydoc);
    this.runs = new RunsModel(session.ydoc);
    this.jobs = new JobBoard(session.ydoc);
    this.presence = new PresenceModel(session.awareness, me.identity, role);
    this.#cellUndo = new CellUndo(this.model.ycells, LOCAL_ORIGIN);
    this.undoManager = this.#cellUndo.manager;
    const onStack = (): void => {
      this.canUndo = this.undoManager.undoStack.length > 0;
      this.canRedo = this.undoManager.redoStack.length > 0;
    };
    this.undoManager.on('stack-item-added', onStack);
    this.undoManager.on('stack-item-popped', onStack);
    this.undoManager.on('stack-cleared', onStack);
    session.ydoc.on('afterTransaction', this.#afterTransaction);
  }

  // A structural command is one undo step of its own: typing right after it starts a new one.
  #afterTransaction = (tr: Y.Transaction): void => {
    if (tr.origin === LOCAL_ORIGIN) this.undoManager.stopCapturing();
  };

  get canEdit(): boolean {
    return roleAtLeast(this.role, 'editor');
  }
  get canRun(): boolean {
    return roleAtLeast(this.role, 'runner');
  }
  get fileId(): string {
    return this.session.fileId;
  }
  get ycells(): Y.Array<Y.Map<unknown>> {
    return this.model.ycells;
  }

  // ---- selection and mode -------------------------------------------------------------

  /** Keeps the active cell valid as cells come and go (ours or others'). */
  ensureActive(): void {
    const cells = this.model.cells;
    if (cells.length === 0) {
      this.activeId = this.anchorId = null;
      return;
    }
    if (this.model.indexOfId(this.activeId) < 0) {
      this.activeId = this.anchorId = cells[0].id;
    }
    if (this.model.indexOfId(this.anchorId) < 0) this.anchorId = this.activeId;
  }

  selectedIds(): string[] {
    const a = this.model.indexOfId(this.activeId);
    const b = this.model.indexOfId(this.anchorId);
    if (a < 0) return [];
    const [lo, hi] = b < 0 ? [a, a] : [Math.min(a, b), Math.max(a, b)];
    return this.model.cells.slice(lo, hi + 1).map((c) => c.id);
  }

  isSelected(id: string): boolean {
    const i = this.model.indexOfId(id);
    const a = this.model.indexOfId(this.activeId);
    const b = this.model.indexOfId(this.anchorId);
    if (i < 0 || a < 0) return false;
    return i >= Math.min(a, b < 0 ? a : b) && i <= Math.max(a, b < 0 ? a : b);
  }

  select(id: string, extend = false): void {
    this.activeId = id;
    if (!extend) this.anchorId = id;
  }

  moveSelection(delta: number, extend = false): void {
    const cells = this.model.cells;
    if (cells.length === 0) return;
    const i = this.model.indexOfId(this.activeId);
    const next = Math.max(0, Math.min(cells.length - 1, Math.max(i, 0) + delta));
    this.select(cells[next].id, extend);
    this.scrollToActive();
  }

  async scrollToActive(): Promise<void> {
    await tick();
    const el = this.container?.querySelector<HTMLElement>(`[data-cell-id="${CSS.escape(this.activeId ?? '')}"]`);
    el?.scrollIntoView({ block: 'nearest' });
  }

  /** Command mode: keys go to the notebook, not to an editor. */
  async commandMode(): Promise<void> {
    this.mode = 'command';
    this.presence.awareness.setLocalStateField('cursor', null);
    await tick();
    this.container?.focus({ preventScroll: true });
  }

  /** Edit mode on a cell: unrender markdown and put the caret in its editor. */
  async editMode(id = this.activeId, where: 'start' | 'end' | 'keep' = 'keep'): Promise<void> {
    if (!id) return;
    const cell = this.model.byId(id);
    if (!cell) return;
    this.select(id);
    // Without the right to edit, a rendered markdown cell has no editor to go into.
    if (cell.type === 'markdown' && !this.canEdit) return;
    if (cell.type === 'markdown') this.editingMarkdown.add(id);
    this.mode = 'edit';
    const editor = await this.#editorFor(id);
    if (!editor) {
      this.mode = 'command';
      return;
    }
    const view = editor.view;
    if (where !== 'keep') {
      const pos = where === 'start' ? 0 : view.state.doc.length;
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    }
    view.focus();
  }

  /** The cell's editor, asking for it to be made if the cell has only static code so far. */
  async #editorFor(id: string): Promise<CellEditor | undefined> {
    await tick();
    if (!this.editors.has(id)) {
      this.mountRequests.add(id);
      // Mounting runs in an effect: give it a couple of flushes.
      for (let i = 0; i < 3 && !this.editors.has(id); i++) await tick();
      this.mountRequests.delete(id);
    }
    return this.editors.get(id);
  }

  /** Called when an editor gains focus by a click. */
  editorFocused(id: string): void {
    if (this.activeId !== id || this.mode !== 'edit') {
      this.select(id);
      this.mode = 'edit';
    }
  }

  // ---- cell edits ---------------------------------------------------------------------

  #guardEdit(): boolean {
    if (!this.canEdit) {
      toasts.show('This notebook is read-only for you.', 'info');
      return false;
    }
    // Each command is its own undo step, never merged with typing or the previous command.
    this.undoManager.stopCapturing();
    return true;
  }

  insert(where: 'above' | 'below', type: CellType = 'code', edit = false): void {
    if (!this.#guardEdit()) return;
    const ids = this.selectedIds();
    const i = where === 'above' ? this.model.indexOfId(ids[0] ?? null) : this.model.indexOfId(ids[ids.length - 1] ?? null) + 1;
    const id = edits.insertCell(this.ycells, i < 0 ? this.model.cells.length : i, type);
    this.select(id);
    if (edit) void this.editMode(id);
    else void this.scrollToActive();
  }

  /** A brand-new notebook starts with one empty code cell, as in JupyterLab (not an undo step). */
  seedEmptyNotebook(): void {
    if (!this.canEdit || this.model.cells.length > 0) return;
    const id = edits.insertCell(this.ycells, 0, 'code');
    this.undoManager.clear();
    this.select(id);
    void this.editMode(id);
  }

  /** Appends a cell at the end (the "add cell" buttons under the last cell). */
  append(type: CellType): void {
    if (!this.#guardEdit()) return;
    const id = edits.insertCell(this.ycells, this.model.cells.length, type);
    void this.editMode(id);
  }

  deleteSelected(): void {
    if (!this.#guardEdit()) return;
    const ids = this.selectedIds();
    if (!ids.length) return;
    const first = this.model.indexOfId(ids[0]);
    edits.deleteCells(this.ycells, ids);
    const cells = this.model.cells;
    if (cells.length) this.select(cells[Math.min(first, cells.length - 1)].id);
    void this.commandMode();
  }

  setType(type: CellType): void {
    if (!this.#guardEdit()) return;
    const ids = this.selectedIds();
    edits.changeType(this.ycells, ids, type);
    if (type === 'markdown') for (const id of ids) this.editingMarkdown.delete(id);
  }

  moveSelected(delta: -1 | 1): void {
    if (!this.#guardEdit()) return;
    edits.moveBlock(this.ycells, this.selectedIds(), delta);
    void this.scrollToActive();
  }

  split(): void {
    if (!this.#guardEdit() || !this.activeId) return;
    const editor = this.editors.get(this.activeId);
    const offsets = editor ? editor.view.state.selection.ranges.map((r) => r.head) : [];
    const ids = edits.splitCell(this.ycells, this.activeId, offsets);
    if (ids.length > 1) void this.editMode(ids[ids.length - 1], 'start');
  }

  merge(): void {
    if (!this.#guardEdit()) return;
    let ids = this.selectedIds();
    if (ids.length === 1) {
      // A single cell merges with the one below, as in JupyterLab's Shift-M.
      const next = this.model.cells[this.model.indexOfId(ids[0]) + 1];
      if (!next) return;
      ids = [ids[0], next.id];
    }
    const id = edits.mergeCells(this.ycells, ids);
    if (id) this.select(id);
  }

  copy(): void {
    const ids = new Set(this.selectedIds());
    copyCells(
      this.ycells
        .toArray()
        .filter((c) => ids.has(String(c.get('id'))))
        .map(edits.cellToJSON),
    );
  }

  cut(): void {
    if (!this.#guardEdit()) return;
    this.copy();
    this.deleteSelected();
  }

  paste(where: 'above' | 'below'): void {
    if (!this.#guardEdit()) return;
    const cells = clipboardCells();
    if (!cells.length) return;
    const ids = this.selectedIds();
    const i = where === 'above' ? this.model.indexOfId(ids[0] ?? null) : this.model.indexOfId(ids[ids.length - 1] ?? null) + 1;
    const newIds = edits.pasteCells(this.ycells, i < 0 ? this.model.cells.length : i, cells);
    if (newIds.length) {
      this.activeId = newIds[newIds.length - 1];
      this.anchorId = newIds[0];
    }
  }

  undo(): void {
    if (this.canEdit) this.#cellUndo.undo();
  }
  redo(): void {
    if (this.canEdit) this.#cellUndo.redo();
  }

  /** Clears the outputs of the selected cells, or of every cell; everyone sees them go. */
  clearOutputs(scope: 'selected' | 'all'): void {
    if (!this.#guardEdit()) return;
    edits.clearOutputs(this.ycells, scope === 'all' ? 'all' : this.selectedIds());
  }

  toggleOutputs(): void {
    const ids = this.selectedIds();
    const hide = ids.some((id) => !this.hiddenOutputs.has(id));
    for (const id of ids) {
      if (hide) this.hiddenOutputs.add(id);
      else this.hiddenOutputs.delete(id);
    }
  }

  togglePanel(panel: SidePanel): void {
    this.sidePanel = this.sidePanel === panel ? null : panel;
  }

  /** Saves a version of the notebook now (no label), and says so. */
  async saveVersion(): Promise<void> {
    try {
      await saveVersion(this.fileId, null);
      this.versionsChanged += 1;
      toasts.show('Version saved. Open History to see it.', 'success');
    } catch (err) {
      toasts.error(err, 'Could not save a version');
    }
  }

  // ---- notebook settings (metadata.tandem) --------------------------------------------

  /** Declares the notebook's dependencies (null: the default environment); everyone sees it. */
  setEnvironment(spec: EnvironmentSpec | null): void {
    if (!this.#guardEdit()) return;
    writeEnvironment(this.session.ydoc, spec);
  }

  /** Whether SQL cells load their pinned snapshots (reproducible) or query on every run (live). */
  setQueryMode(mode: QueryMode): void {
    if (!this.#guardEdit()) return;
    writeQueryMode(this.session.ydoc, mode);
  }

  toggleLineNumbers(): void {
    this.lineNumbers = !this.lineNumbers;
    for (const editor of this.editors.values()) editor.setLineNumbers(this.lineNumbers);
  }

  // ---- running ------------------------------------------------------------------------

  /**
   * Runs are requested one after another: each request goes out once the one before it was
   * queued, so three quick Shift-Enters queue their cells in the order they were pressed
   * (concurrent requests can reach the server in any order).
   */
  #requests: Promise<void> = Promise.resolve();

  runCells(ids: string[]): Promise<void> {
    const request = this.#requests.then(() => this.#requestRun(ids));
    // One failed request must not hold up the ones after it.
    this.#requests = request.catch(() => undefined);
    return request;
  }

  async #requestRun(ids: string[]): Promise<void> {
    const cells = ids.map((id) => this.model.byId(id)).filter((c) => c !== undefined);
    for (const c of cells) if (c.type === 'markdown') this.editingMarkdown.delete(c.id);
    const code = cells.filter((c) => c.type === 'code').map((c) => c.id);
    if (!code.length) return;
    if (!this.canRun) {
      toasts.show('You can follow this notebook but not run it.', 'info');
      return;
    }
    await this.session.flush();
    try {
      await execute(this.fileId, code, Y.encodeStateVector(this.session.ydoc));
    } catch (err) {
      toasts.error(err, 'Could not run');
    }
  }

  /** Shift-Enter (advance), Ctrl-Enter (stay) and Alt-Enter (insert), as in JupyterLab. */
  run(mode: RunMode): void {
    const ids = this.selectedIds();
    if (!ids.length) return;
    void this.runCells(ids);
    const last = this.model.indexOfId(ids[ids.length - 1]);
    const wasEditing = this.mode === 'edit';
    if (mode === 'stay') {
      this.select(ids[ids.length - 1]);
      const cell = this.model.byId(ids[ids.length - 1]);
      if (cell?.type === 'markdown' || !wasEditing) void this.commandMode();
      return;
    }
    if (mode === 'insert' || last === this.model.cells.length - 1) {
      if (this.canEdit) {
        const id = edits.insertCell(this.ycells, last + 1, 'code');
        void this.editMode(id);
        return;
      }
    }
    const next = this.model.cells[last + 1];
    if (next) this.select(next.id);
    void this.commandMode().then(() => this.scrollToActive());
  }

  runAll(): void {
    void this.runCells(this.model.cells.map((c) => c.id));
  }
  runAbove(): void {
    const i = this.model.indexOfId(this.activeId);
    void this.runCells(this.model.cells.slice(0, Math.max(0, i)).map((c) => c.id));
  }
  runBelow(): void {
    const i = this.model.indexOfId(this.activeId);
    void this.runCells(this.model.cells.slice(Math.max(0, i)).map((c) => c.id));
  }

  async kernel(action: 'interrupt' | 'restart' | 'shutdown'): Promise<void> {
    if (!this.canRun) return;
    try {
      await kernelAction(this.fileId, action);
    } catch (err) {
      toasts.error(err, `Could not ${action} the kernel`);
    }
  }

  /** Restarts at once when that loses nothing (no kernel, nothing queued); otherwise asks first. */
  askRestart(kind: 'restart' | 'restart-run'): void {
    if (!this.canRun) return;
    if (this.runs.restartLosesWork) this.dialog = kind;
    else if (kind === 'restart-run') void this.restartAndRunAll();
    else void this.kernel('restart');
  }

  /** Ctrl-S: nothing to do, as saving is continuous, but say so and say where things stand. */
  announceSaveState(): void {
    const state = this.session.saves.state;
    if (state === 'saved') toasts.show('Saved — Tandem saves as you type.', 'success', 2500);
    else if (state === 'saving') toasts.show('Saving… Tandem saves as you type.', 'info', 2500);
    else if (state === 'paused')
      toasts.show('Saving is paused: the server cannot reach its storage. It has your changes and saves them when the storage is back.', 'info');
    else toasts.show('Not saved yet: you are offline. Your changes are kept here and sync when you reconnect.', 'info');
  }

  async restartAndRunAll(): Promise<void> {
    await this.kernel('restart');
    this.runAll();
  }

  async cancel(runId: string): Promise<void> {
    try {
      await cancelRun(this.fileId, runId);
    } catch (err) {
      toasts.error(err, 'Could not cancel the run');
    }
  }

  /** Runs a SQL cell once with a fresh query, which its result then replaces as the pin. */
  async refreshQuery(cellId: string): Promise<void> {
    if (!this.canRun) return;
    // The server runs the source it has: send the keystrokes first.
    await this.session.flush();
    try {
      await refreshCell(this.fileId, cellId);
    } catch (err) {
      toasts.error(err, 'Could not refresh the query');
    }
  }

  /** Pins one of a SQL cell's snapshots, or (null) unpins so its next run queries again. */
  async pin(cellId: string, snapshotId: string | null): Promise<boolean> {
    if (!this.canEdit) return false;
    try {
      if (snapshotId) await pinSnapshot(this.fileId, cellId, snapshotId);
      else await unpinSnapshot(this.fileId, cellId);
      return true;
    } catch (err) {
      toasts.error(err, snapshotId ? 'Could not pin the snapshot' : 'Could not unpin the snapshot');
      return false;
    }
  }

  async answer(runId: string, value: string): Promise<boolean> {
    try {
      await answerInput(this.fileId, runId, value);
      return true;
    } catch (err) {
      toasts.error(err, 'Could not send your input');
      return false;
    }
  }

  dispose(): void {
    this.session.ydoc.off('afterTransaction', this.#afterTransaction);
    this.undoManager.destroy();
    this.presence.dispose();
    this.runs.dispose();
    this.jobs.dispose();
    this.model.dispose();
  }
}
