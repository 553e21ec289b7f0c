// A reactive view of one cell's Y.Map: its type, execution count and state, metadata and
// outputs. Svelte components read these fields; only Yjs observers write them.
import * as Y from 'yjs';
import { type OutputModel, outputFromValue } from './outputs.svelte';

export type CellType = 'code' | 'markdown' | 'raw';

function asCellType(v: unknown): CellType {
  return v === 'markdown' || v === 'raw' ? v : 'code';
}

function pinOf(metadata: Record<string, unknown>): string | null {
  const tandem = metadata.tandem;
  const pin = tandem && typeof tandem === 'object' ? (tandem as { snapshot?: unknown }).snapshot : undefined;
  return typeof pin === 'string' && pin ? pin : null;
}

export class CellModel {
  readonly id: string;
  type = $state<CellType>('code');
  executionCount = $state<number | null>(null);
  /** @jupyter/ydoc's execution_state: 'running' while the kernel works on this cell. */
  executionState = $state<string>('idle');
  metadata = $state.raw<Record<string, unknown>>({});
  attachments = $state.raw<Record<string, Record<string, string>> | undefined>(undefined);
  outputs = $state.raw<OutputModel[]>([]);
  /** Mirrors the first line of the source, for SQL detection and the table of contents. */
  firstLine = $state('');
  /** A SQL cell: a code cell whose first line is `%%sql …`; the server runs its query. */
  isSql = $derived(this.type === 'code' && /^%%sql(\s|$)/.test(this.firstLine));
  /** The snapshot pinned in the cell (`metadata.tandem.snapshot`), which a reproducible run loads. */
  pinnedSnapshot = $derived(pinOf(this.metadata));

  #youtputs: Y.Array<unknown> | null = null;
  #ymeta: Y.Map<unknown> | null = null;
  #outputModels = new Map<unknown, OutputModel>();

  #onModel = (event: Y.YMapEvent<unknown>): void => this.#read(event.keysChanged);
  #onOutputs = (): void => this.#readOutputs();
  #onMeta = (): void => {
    this.metadata = (this.#ymeta?.toJSON() as Record<string, unknown>) ?? {};
  };
  #onSource = (): void => this.#readFirstLine();

  /** The shared source. Kept from construction: a deleted cell's map no longer has it. */
  readonly ysource: Y.Text;

  constructor(readonly ymap: Y.Map<unknown>) {
    this.id = String(ymap.get('id') ?? '');
    const s = ymap.get('source');
    if (s instanceof Y.Text) {
      this.ysource = s;
    } else {
      // Every cell in the schema has a Y.Text source; a malformed one gets a detached text so
      // the UI still renders rather than failing on one bad cell.
      this.ysource = new Y.Doc().getText('source');
      if (typeof s === 'string') this.ysource.insert(0, s);
    }
    this.#read(null);
    ymap.observe(this.#onModel);
    this.ysource.observe(this.#onSource);
  }

  #readFirstLine(): void {
    const src = this.ysource.toString();
    const nl = src.indexOf('\n');
    const line = nl < 0 ? src : src.slice(0, nl);
    if (line !== this.firstLine) this.firstLine = line;
  }

  #read(keys: Set<string> | null): void {
    const has = (k: string): boolean => keys === null || keys.has(k);
    if (has('cell_type')) this.type = asCellType(this.ymap.get('cell_type'));
    if (has('execution_count')) {
      const c = this.ymap.get('execution_count');
      this.executionCount = typeof c === 'number' ? c : null;
    }
    if (has('execution_state')) {
      const s = this.ymap.get('execution_state');
      this.executionState = typeof s === 'string' ? s : 'idle';
    }
    if (has('metadata')) {
      this.#ymeta?.unobserveDeep(this.#onMeta);
      const m = this.ymap.get('metadata');
      if (m instanceof Y.Map) {
        this.#ymeta = m as Y.Map<unknown>;
        m.observeDeep(this.#onMeta);
        this.#onMeta();
      } else {
        this.#ymeta = null;
        this.metadata = m && typeof m === 'object' ? (m as Record<string, unknown>) : {};
      }
    }
    if (has('attachments')) {
      const a = this.ymap.get('attachments');
      this.attachments = a && typeof a === 'object' ? (a as Record<string, Record<string, string>>) : undefined;
    }
    if (has('outputs')) {
      const o = this.ymap.get('outputs');
      const next = o instanceof Y.Array ? (o as Y.Array<unknown>) : null;
      if (next !== this.#youtputs) {
        this.#youtputs?.unobserve(this.#onOutputs);
        this.#youtputs = next;
        next?.observe(this.#onOutputs);
      }
      this.#readOutputs();
    }
    if (keys === null || keys.has('source')) this.#readFirstLine();
  }

  #readOutputs(): void {
    const items = this.#youtputs?.toArray() ?? [];
    const next = new Map<unknown, OutputModel>();
    const models = items.map((item) => {
      const model = this.#outputModels.get(item) ?? outputFromValue(item);
      next.set(item, model);
      return model;
    });
    for (const [item, model] of this.#outputModels) if (!next.has(item)) model.dispose();
    this.#outputModels = next;
    this.outputs = models;
  }

  dispose(): void {
    this.ymap.unobserve(this.#onModel);
    this.ysource.unobserve(this.#onSource);
    this.#youtputs?.unobserve(this.#onOutputs);
    this.#ymeta?.unobserveDeep(this.#onMeta);
    for (const model of this.#outputModels.values()) model.dispose();
  }
}
