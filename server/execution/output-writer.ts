// Writes what kernels produce into the shared document, so every collaborator and viewer
// sees the same outputs and they outlive the tab that asked for them.
//
// - Stream text is written into one Y.Text per stream, with carriage returns and backspaces
//   applied as a terminal would: the first text after a quiet spell at once, what follows it
//   coalesced and written a few times a second.
// - clear_output(wait) clears at once, or when the next output arrives.
// - update_display_data updates every output made with that display_id, in any cell.
// - Outputs are capped, per output and per cell. Past the cap the document keeps the head
//   and a marker saying how much was cut; the rest goes to the output store, to fetch.

import * as Y from 'yjs';
import { TRUNCATED_MIME, type TruncatedMarker } from '../../common/doc-schema';
import type { JSONObject, OutputJSON } from '../../common/nbformat';
import { LeadingEdgeBatcher } from '../leading-edge-batcher';
import { outputToYMap } from '../notebook/cell-model';
import type { OutputStore, StoredOutput } from './output-store';
import { continueLastLine, needsRewrite, renderStream } from './stream-text';

export interface OutputLimits {
  /** Largest single output kept in the document (characters of JSON or stream text). */
  maxOutputSize: number;
  /** Largest total of one cell's outputs kept in the document. */
  maxCellSize: number;
  /** How often coalesced stream text is written. */
  flushIntervalMs: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  maxOutputSize: 2 * 1024 * 1024,
  maxCellSize: 8 * 1024 * 1024,
  flushIntervalMs: 150,
};

interface Overflow {
  marker: Y.Map<unknown>;
  stored: StoredOutput;
  omitted: number;
  total: number;
}

interface CellState {
  size: number;
  overflow?: Overflow;
  clearOnNext: boolean;
  pending: { name: string; text: string }[];
}

export interface OutputTarget {
  doc: Y.Doc;
  transact(change: () => void): void;
}

type OutputsArray = Y.Array<unknown>;

function sizeOf(output: OutputJSON): number {
  return JSON.stringify(output).length;
}

function isDeleted(type: Y.Map<unknown>): boolean {
  return type._item?.deleted === true;
}

export class OutputWriter {
  private readonly cells = new Map<string, CellState>();
  private readonly displays = new Map<string, Set<Y.Map<unknown>>>();
  /** A chatty cell costs one document update per flush interval, and its first line none of the wait. */
  private readonly streams: LeadingEdgeBatcher;

  constructor(
    private readonly target: OutputTarget,
    private readonly store: OutputStore,
    private readonly fileId: string,
    private readonly limits: OutputLimits,
  ) {
    this.streams = new LeadingEdgeBatcher(limits.flushIntervalMs, () => this.flushPending());
  }

  /** A run is starting in this cell: its old outputs go, as in JupyterLab. */
  startRun(cellId: string, executionCount: number | null): void {
    // A run's first text is news and goes out at once. Left to the window the last run's
    // output opened, it would wait for the interval's end or the run's (in the warm-run
    // benchmark, two runs in three showed their output only with the run's end).
    this.streams.flushNow();
    this.cells.delete(cellId);
    this.target.transact(() => {
      const cell = this.cell(cellId);
      if (!cell) return;
      const outputs = cell.get('outputs');
      if (outputs instanceof Y.Array && outputs.length) outputs.delete(0, outputs.length);
      cell.set('execution_count', executionCount);
      cell.set('execution_state', 'running');
    });
  }

  /** A run an earlier server started, followed again: its cell runs on, with the outputs it has. */
  resumeRun(cellId: string): void {
    this.target.transact(() => this.cell(cellId)?.set('execution_state', 'running'));
  }

  setExecutionCount(cellId: string, executionCount: number | null): void {
    this.target.transact(() => this.cell(cellId)?.set('execution_count', executionCount));
  }

  finishRun(cellId: string): void {
    this.flushCell(cellId);
    this.target.transact(() => this.cell(cellId)?.set('execution_state', 'idle'));
  }

  stream(cellId: string, name: string, text: string): void {
    const state = this.state(cellId);
    const last = state.pending.at(-1);
    if (last && last.name === name) last.text += text;
    else state.pending.push({ name, text });
    this.streams.changed();
  }

  add(cellId: string, output: OutputJSON, displayId?: string): void {
    this.flushCell(cellId);
    this.target.transact(() => {
      const cell = this.cell(cellId);
      if (!cell) return;
      const outputs = this.prepare(cell, cellId);
      const state = this.state(cellId);
      const size = sizeOf(output);
      if (size > this.limits.maxOutputSize) {
        this.storeWhole(outputs, output, size);
        return;
      }
      // An error ends its run and says what went wrong: it is always shown, past any cap.
      if (output.output_type !== 'error' && (state.overflow || state.size + size > this.limits.maxCellSize)) {
        if (state.overflow) this.overflowMore(state.overflow, `${textOf(output)}\n`, size);
        else this.startOverflow(outputs, state, 'txt', `${textOf(output)}\n`, size);
        return;
      }
      const ymap = outputToYMap(output);
      outputs.push([ymap]);
      state.size += size;
      if (displayId) {
        const targets = this.displays.get(displayId) ?? new Set();
        targets.add(ymap);
        this.displays.set(displayId, targets);
      }
    });
  }

  clearOutput(cellId: string, wait: boolean): void {
    const state = this.state(cellId);
    state.pending = [];
    if (wait) {
      state.clearOnNext = true;
      return;
    }
    this.target.transact(() => {
      const cell = this.cell(cellId);
      if (cell) this.clearNow(cell, cellId);
    });
  }

  /** Updates every output made with this display_id, wherever it is. */
  updateDisplay(displayId: string, data: JSONObject, metadata: JSONObject): void {
    const targets = this.displays.get(displayId);
    if (!targets) return;
    this.target.transact(() => {
      for (const output of [...targets]) {
        if (isDeleted(output)) {
          targets.delete(output);
          continue;
        }
        output.set('data', data);
        output.set('metadata', metadata);
      }
    });
  }

  dispose(): void {
    this.streams.dispose();
    this.cells.clear();
    this.displays.clear();
  }

  /** Writes every cell's pending stream text; says whether there was any. */
  private flushPending(): boolean {
    let wrote = false;
    for (const cellId of this.cells.keys()) wrote = this.flushCell(cellId) || wrote;
    return wrote;
  }

  /** Writes the cell's pending stream text; says whether there was any. */
  private flushCell(cellId: string): boolean {
    const state = this.cells.get(cellId);
    if (!state || state.pending.length === 0) return false;
    const pending = state.pending;
    state.pending = [];
    this.target.transact(() => {
      const cell = this.cell(cellId);
      if (!cell) return;
      const outputs = this.prepare(cell, cellId);
      for (const { name, text } of pending) this.writeStream(outputs, state, name, text);
    });
    return true;
  }

  private writeStream(outputs: OutputsArray, state: CellState, name: string, text: string): void {
    if (state.overflow) {
      this.overflowMore(state.overflow, text, text.length);
      return;
    }
    const last = outputs.length ? outputs.get(outputs.length - 1) : undefined;
    const ytext = last instanceof Y.Map && last.get('output_type') === 'stream' && last.get('name') === name ? last.get('text') : undefined;
    if (!(ytext instanceof Y.Text)) {
      const rendered = renderStream(text);
      const room = Math.max(0, Math.min(this.limits.maxOutputSize, this.limits.maxCellSize - state.size));
      const shown = rendered.length <= room ? rendered : rendered.slice(0, room);
      if (shown) {
        outputs.push([outputToYMap({ output_type: 'stream', name, text: shown })]);
        state.size += shown.length;
      }
      // More than fits at once: the head stays in the document, the whole goes to the store.
      if (shown.length < rendered.length) this.startOverflow(outputs, state, 'txt', text, rendered.length - shown.length, shown.length);
      return;
    }
    const before = ytext.length;
    const current = ytext.toString();
    const lineStart = current.lastIndexOf('\n') + 1;
    const lastLine = current.slice(lineStart);
    if (needsRewrite(lastLine, text)) {
      const replacement = continueLastLine(lastLine, text);
      let common = 0;
      while (common < lastLine.length && common < replacement.length && lastLine[common] === replacement[common]) common++;
      ytext.delete(lineStart + common, lastLine.length - common);
      ytext.insert(lineStart + common, replacement.slice(common));
    } else {
      ytext.insert(before, text);
    }
    state.size += ytext.length - before;
    if (ytext.length > this.limits.maxOutputSize || state.size > this.limits.maxCellSize) {
      // Keep the head in the document; the whole stream goes to the store.
      const others = state.size - ytext.length;
      const keep = Math.max(0, Math.min(this.limits.maxOutputSize, this.limits.maxCellSize - others));
      const full = ytext.toString();
      ytext.delete(keep, ytext.length - keep);
      state.size = others + keep;
      this.startOverflow(outputs, state, 'txt', full, full.length - keep, keep);
    }
  }

  private startOverflow(outputs: OutputsArray, state: CellState, extension: 'txt', text: string, omitted: number, shown = 0): void {
    const stored = this.store.create(this.fileId, extension);
    stored.append(text);
    const overflow: Overflow = { marker: new Y.Map(), stored, omitted, total: shown + omitted };
    this.writeMarker(overflow);
    outputs.push([overflow.marker]);
    state.overflow = overflow;
  }

  private overflowMore(overflow: Overflow, text: string, size: number): void {
    overflow.stored.append(text);
    overflow.omitted += size;
    overflow.total += size;
    this.writeMarker(overflow);
  }

  /** One output too large on its own: kept whole in the store, a marker in its place. */
  private storeWhole(outputs: OutputsArray, output: OutputJSON, size: number): void {
    const stored = this.store.create(this.fileId, 'json');
    stored.append(JSON.stringify(output));
    const overflow: Overflow = { marker: new Y.Map(), stored, omitted: size, total: size };
    this.writeMarker(overflow);
    outputs.push([overflow.marker]);
  }

  private writeMarker(overflow: Overflow): void {
    const marker: TruncatedMarker = {
      omittedBytes: overflow.omitted,
      totalBytes: overflow.total,
      url: `/api/notebooks/${this.fileId}/outputs/${overflow.stored.key}`,
    };
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    const data: JSONObject = {
      [TRUNCATED_MIME]: marker as unknown as JSONObject,
      'text/plain': `[Output cut: ${mb(overflow.omitted)} of ${mb(overflow.total)} not shown. The whole output is at ${marker.url}]`,
    };
    const ymap = overflow.marker;
    if (ymap.doc) {
      ymap.set('data', data);
    } else {
      ymap.set('output_type', 'display_data');
      ymap.set('data', data);
      ymap.set('metadata', {});
    }
  }

  /** Applies a pending clear_output(wait=True) before the next output lands. */
  private prepare(cell: Y.Map<unknown>, cellId: string): OutputsArray {
    const state = this.state(cellId);
    if (state.clearOnNext) this.clearNow(cell, cellId);
    let outputs = cell.get('outputs');
    if (!(outputs instanceof Y.Array)) {
      outputs = new Y.Array();
      cell.set('outputs', outputs);
    }
    return outputs as OutputsArray;
  }

  private clearNow(cell: Y.Map<unknown>, cellId: string): void {
    const outputs = cell.get('outputs');
    if (outputs instanceof Y.Array && outputs.length) outputs.delete(0, outputs.length);
    const state = this.state(cellId);
    state.size = 0;
    state.overflow = undefined;
    state.clearOnNext = false;
  }

  private state(cellId: string): CellState {
    let state = this.cells.get(cellId);
    if (!state) {
      state = { size: 0, clearOnNext: false, pending: [] };
      this.cells.set(cellId, state);
    }
    return state;
  }

  private cell(cellId: string): Y.Map<unknown> | undefined {
    for (const cell of this.target.doc.getArray('cells')) {
      if (cell instanceof Y.Map && cell.get('id') === cellId) return cell;
    }
    return undefined;
  }
}

/** What an output says in plain text, for the overflow file. */
function textOf(output: OutputJSON): string {
  if (typeof output.text === 'string') return output.text;
  const data = output.data;
  if (data && typeof data === 'object' && !Array.isArray(data) && typeof data['text/plain'] === 'string') return data['text/plain'];
  if (output.output_type === 'error') return `${String(output.ename)}: ${String(output.evalue)}`;
  return `[${output.output_type} output]`;
}
