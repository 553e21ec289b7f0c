// Edit-mode keys that belong to the notebook rather than to the text: running, leaving the
// editor, walking into the next cell at the edges, splitting, saving and the palette.
import type { KeyBinding } from '@codemirror/view';
import { cursorInfo } from '../editor/cell-editor';
import { COMMANDS } from './commands';
import type { NotebookController } from './controller.svelte';

export function editorKeys(c: NotebookController, cellId: string): KeyBinding[] {
  const neighbour = (delta: number): string | undefined => c.model.cells[c.model.indexOfId(cellId) + delta]?.id;
  // A key's command always counts as handled, so CodeMirror does not act on the key as well.
  const handled = (command: () => void) => (): true => {
    command();
    return true;
  };
  return [
    { key: 'Shift-Enter', run: handled(() => COMMANDS['run-advance'].run(c)) },
    { key: 'Mod-Enter', run: handled(() => COMMANDS['run-stay'].run(c)) },
    { key: 'Alt-Enter', run: handled(() => COMMANDS['run-insert'].run(c)) },
    { key: 'Escape', run: handled(() => COMMANDS['command-mode'].run(c)) },
    { key: 'Mod-Shift--', run: handled(() => COMMANDS.split.run(c)) },
    { key: 'Mod-s', run: handled(() => COMMANDS.save.run(c)) },
    { key: 'Mod-Shift-c', run: handled(() => COMMANDS.palette.run(c)) },
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
