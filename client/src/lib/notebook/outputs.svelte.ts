// A reactive view of one cell output (a Y.Map in @jupyter/ydoc's schema). Stream text is a
// Y.Text that the server appends to a few times a second, so it is observed on its own
// instead of re-reading the whole output.
import * as Y from 'yjs';

export interface OutputJSON {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error' | 'update_display_data' | string;
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  transient?: Record<string, unknown>;
}

function plain(value: unknown): unknown {
  if (value instanceof Y.AbstractType) return value.toJSON();
  return value;
}

export class OutputModel {
  /** Every field but stream text, as plain JSON. */
  json = $state.raw<OutputJSON>({ output_type: 'display_data' });
  /** Stream text (joined when nbformat stored it as a list of lines). */
  text = $state('');
  #ytext: Y.Text | null = null;
  #onText = (): void => {
    this.text = this.#ytext?.toString() ?? '';
  };
  #onMap = (): void => this.#read();

  constructor(readonly ymap: Y.Map<unknown>) {
    this.#read();
    ymap.observe(this.#onMap);
  }

  #read(): void {
    const json: Record<string, unknown> = {};
    for (const [key, value] of this.ymap.entries()) {
      if (key !== 'text') json[key] = plain(value);
    }
    this.json = json as unknown as OutputJSON;
    const text = this.ymap.get('text');
    if (text instanceof Y.Text) {
      if (text !== this.#ytext) {
        this.#ytext?.unobserve(this.#onText);
        this.#ytext = text;
        text.observe(this.#onText);
      }
      this.text = text.toString();
    } else {
      this.#ytext?.unobserve(this.#onText);
      this.#ytext = null;
      this.text = Array.isArray(text) ? text.join('') : typeof text === 'string' ? text : '';
    }
  }

  dispose(): void {
    this.ymap.unobserve(this.#onMap);
    this.#ytext?.unobserve(this.#onText);
  }
}

/** A plain output object (one written as JSON rather than as a Y.Map) wrapped the same way. */
export function outputFromValue(value: unknown): OutputModel {
  if (value instanceof Y.Map) return new OutputModel(value as Y.Map<unknown>);
  // Defensive: a foreign client may have stored plain JSON. Wrap it in a detached map.
  const doc = new Y.Doc();
  const map = doc.getMap<unknown>('o');
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) map.set(k, v);
  }
  return new OutputModel(map);
}
