// Collaborators' carets and selections in one cell editor, labelled with their names.
// All cell editors share one awareness; each publishes `cursor` (y-codemirror's field, so
// other Yjs editors understand it) only while it has focus, and each draws the carets whose
// positions resolve into its own Y.Text.
import { Annotation } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, ViewPlugin, type ViewUpdate, WidgetType } from '@codemirror/view';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { colorFor, tint } from '../ui/colors';

const awarenessChanged = Annotation.define<null>();

const caretTheme = EditorView.baseTheme({
  '.cm-remote-caret': {
    position: 'relative',
    borderLeft: '2px solid',
    marginLeft: '-1px',
    marginRight: '-1px',
    pointerEvents: 'none',
  },
  '.cm-remote-caret-label': {
    position: 'absolute',
    left: '-2px',
    bottom: '100%',
    padding: '1px 5px',
    borderRadius: '3px 3px 3px 0',
    color: '#fff',
    fontFamily: 'var(--ui-font)',
    fontSize: '10.5px',
    fontWeight: '500',
    lineHeight: '1.35',
    whiteSpace: 'nowrap',
    zIndex: '10',
    opacity: '0',
    transition: 'opacity .4s',
    userSelect: 'none',
  },
  '.cm-remote-caret-label.fresh': { opacity: '1' },
  '.cm-line:hover .cm-remote-caret-label': { opacity: '1' },
});

/** How long a caret's name stays shown after it moves, as in JupyterLab. */
const LABEL_MS = 3500;

class CaretWidget extends WidgetType {
  constructor(
    readonly name: string,
    readonly color: string,
    readonly fresh: boolean,
  ) {
    super();
  }
  override eq(other: CaretWidget): boolean {
    return other.name === this.name && other.color === this.color && other.fresh === this.fresh;
  }
  toDOM(): HTMLElement {
    const caret = document.createElement('span');
    caret.className = 'cm-remote-caret';
    caret.style.borderColor = this.color;
    caret.setAttribute('aria-label', `${this.name}'s cursor`);
    const label = document.createElement('span');
    label.className = `cm-remote-caret-label${this.fresh ? ' fresh' : ''}`;
    label.style.backgroundColor = this.color;
    label.textContent = this.name;
    caret.append('\u2060', label, '\u2060');
    return caret;
  }
  override ignoreEvent(): boolean {
    return true;
  }
}

interface CursorState {
  anchor: unknown;
  head: unknown;
}

export function remoteCursors(ytext: Y.Text, awareness: Awareness) {
  return [caretTheme, cursorsPlugin(ytext, awareness)];
}

function cursorsPlugin(ytext: Y.Text, awareness: Awareness) {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet = Decoration.none;
      #moved = new Map<number, { key: string; at: number }>();
      #timer: ReturnType<typeof setTimeout> | null = null;
      #destroyed = false;
      #listener = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
        const others = [...added, ...updated, ...removed].some((id) => id !== awareness.clientID);
        if (others) queueMicrotask(() => this.#redraw());
      };

      constructor(readonly view: EditorView) {
        awareness.on('change', this.#listener);
        this.decorations = this.#build();
      }

      update(update: ViewUpdate): void {
        if (update.view.hasFocus && (update.selectionSet || update.focusChanged || update.docChanged)) {
          this.#publish(update);
        }
        if (update.docChanged || update.transactions.some((tr) => tr.annotation(awarenessChanged) !== undefined)) {
          this.decorations = this.#build();
        }
      }

      #publish(update: ViewUpdate): void {
        const sel = update.state.selection.main;
        const anchor = Y.createRelativePositionFromTypeIndex(ytext, sel.anchor);
        const head = Y.createRelativePositionFromTypeIndex(ytext, sel.head);
        const current = (awareness.getLocalState() as { cursor?: CursorState } | null)?.cursor;
        if (
          current &&
          Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.anchor), anchor) &&
          Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.head), head)
        ) {
          return;
        }
        awareness.setLocalStateField('cursor', { anchor: Y.relativePositionToJSON(anchor), head: Y.relativePositionToJSON(head) });
      }

      #build(): DecorationSet {
        const doc = ytext.doc;
        if (!doc) return Decoration.none;
        const now = Date.now();
        const ranges: { from: number; to: number; deco: Decoration }[] = [];
        let nextExpiry = Infinity;
        for (const [clientId, state] of awareness.getStates()) {
          if (clientId === awareness.clientID) continue;
          const cursor = (state as { cursor?: CursorState | null }).cursor;
          if (!cursor?.anchor || !cursor.head) continue;
          const anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), doc);
          const head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc);
          if (!anchor || !head || anchor.type !== ytext || head.type !== ytext) continue;
          const user = (state as { user?: { display_name?: string; name?: string; username?: string; color?: string } }).user ?? {};
          const name = user.display_name || user.name || user.username || 'Someone';
          const color = colorFor(user.username || name, user.color);
          const len = this.view.state.doc.length;
          const a = Math.min(anchor.index, len);
          const h = Math.min(head.index, len);
          const key = `${a}:${h}`;
          const prev = this.#moved.get(clientId);
          if (!prev || prev.key !== key) this.#moved.set(clientId, { key, at: now });
          const movedAt = this.#moved.get(clientId)!.at;
          const fresh = now - movedAt < LABEL_MS;
          if (fresh) nextExpiry = Math.min(nextExpiry, movedAt + LABEL_MS);
          if (a !== h) {
            ranges.push({
              from: Math.min(a, h),
              to: Math.max(a, h),
              deco: Decoration.mark({ attributes: { style: `background-color: ${tint(color, 0.22)}` }, class: 'cm-remote-selection' }),
            });
          }
          ranges.push({ from: h, to: h, deco: Decoration.widget({ widget: new CaretWidget(name, color, fresh), side: h > a ? -1 : 1 }) });
        }
        this.#schedule(nextExpiry - now);
        return Decoration.set(
          ranges.map((r) => r.deco.range(r.from, r.to)),
          true,
        );
      }

      #schedule(ms: number): void {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = null;
        if (!Number.isFinite(ms)) return;
        // Redraw once the newest label should fade.
        this.#timer = setTimeout(() => this.#redraw(), Math.max(50, ms + 20));
      }

      #redraw(): void {
        if (!this.#destroyed) this.view.dispatch({ annotations: awarenessChanged.of(null) });
      }

      destroy(): void {
        this.#destroyed = true;
        awareness.off('change', this.#listener);
        if (this.#timer) clearTimeout(this.#timer);
      }
    },
    { decorations: (v) => v.decorations },
  );
}
