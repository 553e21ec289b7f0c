// Edit-mode keys that belong to the notebook rather than to the text: running, leaving the
// editor, walking into the next cell at the edges, splitting.
import type { KeyBinding } from '@codemirror/view';
import { cursorInfo } from '../editor/cell-editor';
import { toasts } from '../ui/toasts.svelte';
import type { NotebookController } from './controller.svelte';

export function editorKeys(c: NotebookController, cellId: string): KeyBinding[] {
  const neighbour = (delta: number): string | undefined => c.model.cells[c.model.indexOfId(cellId) + delta]?.id;
  return [
    { key: 'Shift-Enter', run: () => (c.run('advance'), true) },
    { key: 'Mod-Enter', run: () => (c.run('stay'), true) },
    { key: 'Alt-Enter', run: () => (c.run('insert'), true) },
    { key: 'Escape', run: () => (void c.commandMode(), true) },
    { key: 'Mod-Shift--', run: () => (c.split(), true) },
    {
      key: 'Mod-s',
      run: () => {
        toasts.show('Tandem saves every change as you type.', 'info');
        return true;
      },
    },
    {
      key: 'ArrowUp',
      run: (view) => {
        const prev = neighbour(-1);
        if (!prev || !cursorInfo(view).atFirstLine) return false;
        void c.editMode(prev, 'end');
        return true;
      },
    },
    {
      key: 'ArrowDown',
      run: (view) => {
        const next = neighbour(1);
        if (!next || !cursorInfo(view).atLastLine) return false;
        void c.editMode(next, 'start');
        return true;
      },
    },
  ];
}
