// Builds the CodeMirror 6 editor of one cell, bound to the cell's shared Y.Text through
// y-codemirror.next. Undo goes through the notebook's Y.UndoManager (our own edits only),
// never CodeMirror's history, so Ctrl-Z cannot take back a collaborator's typing.
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import { sql } from '@codemirror/lang-sql';
import { bracketMatching, indentOnInput, indentUnit } from '@codemirror/language';
import { Compartment, EditorState, type Extension, Prec } from '@codemirror/state';
import {
  drawSelection,
  dropCursor,
  EditorView,
  highlightSpecialChars,
  type KeyBinding,
  keymap,
  lineNumbers,
  placeholder as placeholderExt,
  rectangularSelection,
} from '@codemirror/view';
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { editorTheme, highlighting } from './highlight';
import { markdownLists } from './markdown-lists';
import { remoteCursors } from './remote-cursors';

export type EditorLanguage = 'python' | 'markdown' | 'sql' | 'plain';

function languageExtension(lang: EditorLanguage): Extension {
  switch (lang) {
    case 'python':
      return python();
    case 'markdown':
      // Our own Enter and Backspace: continuation that does not double a typed marker.
      return [markdown({ addKeymap: false }), markdownLists()];
    case 'sql':
      return sql();
    default:
      return [];
  }
}

export interface CellEditorOptions {
  parent: HTMLElement;
  ytext: Y.Text;
  awareness: Awareness | null;
  undoManager: Y.UndoManager;
  language: EditorLanguage;
  editable: boolean;
  lineNumbers: boolean;
  /** Notebook-level keys (run, leave edit mode, move between cells): they win over defaults. */
  keys: readonly KeyBinding[];
  placeholder?: string;
  onFocus?: () => void;
}

export class CellEditor {
  readonly view: EditorView;
  #language = new Compartment();
  #editable = new Compartment();
  #gutter = new Compartment();

  constructor(opts: CellEditorOptions) {
    const extensions: Extension[] = [
      Prec.highest(keymap.of([...opts.keys])),
      keymap.of([...yUndoManagerKeymap, ...closeBracketsKeymap, ...defaultKeymap, indentWithTab]),
      highlightSpecialChars(),
      drawSelection(),
      dropCursor(),
      EditorState.allowMultipleSelections.of(true),
      indentOnInput(),
      indentUnit.of('    '),
      bracketMatching(),
      closeBrackets(),
      rectangularSelection(),
      highlighting,
      editorTheme,
      EditorView.lineWrapping,
      this.#language.of(languageExtension(opts.language)),
      this.#editable.of(editableExt(opts.editable)),
      this.#gutter.of(opts.lineNumbers ? lineNumbers() : []),
      yCollab(opts.ytext, null, { undoManager: opts.undoManager }),
      EditorView.contentAttributes.of({ 'aria-label': 'Cell source' }),
    ];
    if (opts.placeholder) extensions.push(placeholderExt(opts.placeholder));
    if (opts.awareness) extensions.push(remoteCursors(opts.ytext, opts.awareness));
    if (opts.onFocus) {
      const onFocus = opts.onFocus;
      extensions.push(EditorView.domEventHandlers({ focus: () => void onFocus() }));
    }
    this.view = new EditorView({
      parent: opts.parent,
      state: EditorState.create({ doc: opts.ytext.toString(), extensions }),
    });
  }

  setLanguage(lang: EditorLanguage): void {
    this.view.dispatch({ effects: this.#language.reconfigure(languageExtension(lang)) });
  }

  setEditable(editable: boolean): void {
    this.view.dispatch({ effects: this.#editable.reconfigure(editableExt(editable)) });
  }

  setLineNumbers(on: boolean): void {
    this.view.dispatch({ effects: this.#gutter.reconfigure(on ? lineNumbers() : []) });
  }

  destroy(): void {
    this.view.destroy();
  }
}

function editableExt(editable: boolean): Extension {
  return [EditorView.editable.of(editable), EditorState.readOnly.of(!editable)];
}

/** Cursor facts the notebook keys need: at the first or last line, and the offsets. */
export function cursorInfo(view: EditorView): { atFirstLine: boolean; atLastLine: boolean; offsets: number[] } {
  const { state } = view;
  const main = state.selection.main;
  const line = state.doc.lineAt(main.head);
  return {
    atFirstLine: main.empty && line.number === 1,
    atLastLine: main.empty && line.number === state.doc.lines,
    offsets: state.selection.ranges.map((r) => r.head),
  };
}
