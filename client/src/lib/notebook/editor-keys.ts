// Edit-mode keys that belong to the notebook rather than to the text: running, leaving the
// editor, walking into the next cell at the edges, splitting, saving and the palette.
import type { KeyBinding } from '@codemirror/view';
import { cursorInfo } from '../editor/cell-editor';
import { COMMANDS } from './commands';
import type { NotebookController } from './controller.svelte';

export function editorKeys(c: NotebookController, cellId: string): KeyBinding[] {
  const neighbour = (delta: number): string | undefined => c.model.cells[c.model.indexOfId(cellId) + delta]?.id;
  return [
    { key: 'Shift-Enter', run: () => (COMMANDS['run-advance'].run(c), true) },
    { key: 'Mod-Enter', run: () => (COMMANDS['run-stay'].run(c), true) },
    { key: 'Alt-Enter', run: () => (COMMANDS['run-insert'].run(c), true) },
    { key: 'Escape', run: () => (COMMANDS['command-mode'].run(c), true) },
    { key: 'Mod-Shift--', run: () => (COMMANDS.split.run(c), true) },
    { key: 'Mod-s', run: () => (COMMANDS.save.run(c), true) },
    { key: 'Mod-Shift-c', run: () => (COMMANDS.palette.run(c), true) },
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
