// Markdown lists and quotes continue themselves on Enter (CodeMirror's
// insertNewlineContinueMarkup), but people used to plain editors type the marker anyway, and
// `- a⏎- b` became `- - b`. We remember the marker that Enter put on the new line; if the next
// thing typed there is itself a marker and its space, it takes the remembered one's place.
import { deleteMarkupBackward, insertNewlineContinueMarkup } from '@codemirror/lang-markdown';
import { type EditorState, type Extension, Prec, StateEffect, StateField } from '@codemirror/state';
import { type Command, EditorView, keymap } from '@codemirror/view';

/** The marker Enter inserted: it spans markerFrom..markerTo, at the end of the line's prefix. */
interface AutoMarker {
  markerFrom: number;
  markerTo: number;
}

/** The last list or quote marker of a line's prefix, with a task box and the spaces after it. */
const LAST_MARKER = /(?:[-+*]|\d{1,9}[.)]|>)(?: \[[ xX]\])? *$/;
/** A marker the user typed, complete with the space that ends it. */
const TYPED_MARKER = /^((?:[-+*]|\d{1,9}[.)]|>)) $/;
/** What may still grow into a typed marker. */
const MARKER_SO_FAR = /^(?:[-+*>]|\d{1,9}[.)]?)?$/;

const remember = StateEffect.define<AutoMarker | null>();

function stillPending(state: EditorState, marker: AutoMarker): boolean {
  const head = state.selection.main;
  if (!head.empty || head.head < marker.markerTo) return false;
  const line = state.doc.lineAt(marker.markerTo);
  if (head.head !== line.to) return false;
  return MARKER_SO_FAR.test(state.doc.sliceString(marker.markerTo, head.head));
}

const autoMarker = StateField.define<AutoMarker | null>({
  create: () => null,
  update(value, tr) {
    for (const effect of tr.effects) if (effect.is(remember)) return effect.value;
    if (!value) return null;
    const mapped = tr.docChanged ? { markerFrom: tr.changes.mapPos(value.markerFrom, 1), markerTo: tr.changes.mapPos(value.markerTo, -1) } : value;
    return stillPending(tr.state, mapped) ? mapped : null;
  },
});

const continueMarkup: Command = (view) => {
  if (!insertNewlineContinueMarkup(view)) return false;
  const { state } = view;
  const head = state.selection.main.head;
  const line = state.doc.lineAt(head);
  const prefix = line.text.slice(0, head - line.from);
  const found = head === line.to ? LAST_MARKER.exec(prefix) : null;
  view.dispatch({ effects: remember.of(found ? { markerFrom: line.from + found.index, markerTo: head } : null) });
  return true;
};

const typedMarkerReplaces = EditorView.inputHandler.of((view, from, to, text) => {
  const marker = view.state.field(autoMarker, false);
  if (!marker || from !== to || from !== view.state.selection.main.head) return false;
  const typed = TYPED_MARKER.exec(view.state.doc.sliceString(marker.markerTo, from) + text);
  if (!typed) return false;
  const insert = `${typed[1]} `;
  view.dispatch({
    changes: { from: marker.markerFrom, to, insert },
    selection: { anchor: marker.markerFrom + insert.length },
    effects: remember.of(null),
    userEvent: 'input.type',
  });
  return true;
});

/** List and quote continuation for Markdown cells, without doubled markers. */
export function markdownLists(): Extension {
  return [
    autoMarker,
    typedMarkerReplaces,
    Prec.high(
      keymap.of([
        { key: 'Enter', run: continueMarkup },
        { key: 'Backspace', run: deleteMarkupBackward },
      ]),
    ),
  ];
}
