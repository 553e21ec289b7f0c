// Every notebook command, once: its name, its keys as people read them, the role it needs,
// and what it does. The command palette, the toolbar menus, the keyboard help sheet and the
// command-mode keys all read this list, so a label or a key is changed in one place.
import { type Role, roleAtLeast } from '@common/doc-schema';
import type { MenuEntry } from '../ui/menu';
import type { NotebookController } from './controller.svelte';

export type CommandGroup = 'Cell' | 'Selection' | 'Run' | 'Kernel' | 'View' | 'Notebook';

export interface Command {
  label: string | ((c: NotebookController) => string);
  group: CommandGroup;
  /** Command-mode keys, as shown to people. */
  keys?: string;
  /** Edit-mode keys, when the command has some there too. */
  editKeys?: string;
  /** The least role that may run it; others are not offered it. */
  needs: Role;
  danger?: boolean;
  enabled?: (c: NotebookController) => boolean;
  run: (c: NotebookController) => void;
}

const COMMAND_LIST = {
  'edit-cell': { label: 'Edit the selected cell', group: 'Cell', keys: 'Enter', needs: 'viewer', run: (c) => void c.editMode(c.activeId, 'keep') },
  'command-mode': { label: 'Leave the editor (command mode)', group: 'Cell', editKeys: 'Esc', needs: 'viewer', run: (c) => void c.commandMode() },
  'run-advance': { label: 'Run selected cells', group: 'Run', keys: 'Shift-Enter', editKeys: 'Shift-Enter', needs: 'runner', run: (c) => c.run('advance') },
  'run-stay': { label: 'Run selected cells and stay', group: 'Run', keys: 'Ctrl-Enter', editKeys: 'Ctrl-Enter', needs: 'runner', run: (c) => c.run('stay') },
  'run-insert': {
    label: 'Run selected cells and insert below',
    group: 'Run',
    keys: 'Alt-Enter',
    editKeys: 'Alt-Enter',
    needs: 'runner',
    run: (c) => c.run('insert'),
  },
  'run-all': { label: 'Run all cells', group: 'Run', needs: 'runner', run: (c) => c.runAll() },
  'run-above': { label: 'Run all above selected cell', group: 'Run', needs: 'runner', run: (c) => c.runAbove() },
  'run-below': { label: 'Run selected cell and all below', group: 'Run', needs: 'runner', run: (c) => c.runBelow() },
  'run-job': { label: 'Run as job…', group: 'Run', needs: 'runner', run: (c) => (c.dialog = 'run-job') },
  interrupt: { label: 'Interrupt kernel', group: 'Kernel', keys: 'I, I', needs: 'runner', run: (c) => void c.kernel('interrupt') },
  restart: { label: 'Restart kernel…', group: 'Kernel', keys: '0, 0', needs: 'runner', run: (c) => c.askRestart('restart') },
  'restart-run-all': { label: 'Restart kernel and run all…', group: 'Kernel', needs: 'runner', run: (c) => c.askRestart('restart-run') },
  shutdown: { label: 'Shut down kernel…', group: 'Kernel', needs: 'runner', danger: true, run: (c) => (c.dialog = 'shutdown') },
  'insert-above': { label: 'Insert cell above', group: 'Cell', keys: 'A', needs: 'editor', run: (c) => c.insert('above') },
  'insert-below': { label: 'Insert cell below', group: 'Cell', keys: 'B', needs: 'editor', run: (c) => c.insert('below') },
  delete: { label: 'Delete cells', group: 'Cell', keys: 'D, D', needs: 'editor', run: (c) => c.deleteSelected() },
  cut: { label: 'Cut cells', group: 'Cell', keys: 'X', needs: 'editor', run: (c) => c.cut() },
  copy: { label: 'Copy cells', group: 'Cell', keys: 'C', needs: 'viewer', run: (c) => c.copy() },
  'paste-below': { label: 'Paste cells below', group: 'Cell', keys: 'V', needs: 'editor', run: (c) => c.paste('below') },
  'paste-above': { label: 'Paste cells above', group: 'Cell', keys: 'Shift-V', needs: 'editor', run: (c) => c.paste('above') },
  split: { label: 'Split cell', group: 'Cell', editKeys: 'Ctrl-Shift-Minus', needs: 'editor', run: (c) => c.split() },
  merge: { label: 'Merge selected cells', group: 'Cell', keys: 'Shift-M', needs: 'editor', run: (c) => c.merge() },
  'move-up': { label: 'Move cells up', group: 'Cell', keys: 'Ctrl-Shift-Up', needs: 'editor', run: (c) => c.moveSelected(-1) },
  'move-down': { label: 'Move cells down', group: 'Cell', keys: 'Ctrl-Shift-Down', needs: 'editor', run: (c) => c.moveSelected(1) },
  'to-code': { label: 'Change to code', group: 'Cell', keys: 'Y', needs: 'editor', run: (c) => c.setType('code') },
  'to-markdown': { label: 'Change to Markdown', group: 'Cell', keys: 'M', needs: 'editor', run: (c) => c.setType('markdown') },
  'to-raw': { label: 'Change to raw', group: 'Cell', keys: 'R', needs: 'editor', run: (c) => c.setType('raw') },
  undo: { label: 'Undo', group: 'Cell', keys: 'Z', editKeys: 'Ctrl-Z', needs: 'editor', enabled: (c) => c.canUndo, run: (c) => c.undo() },
  redo: { label: 'Redo', group: 'Cell', keys: 'Shift-Z', editKeys: 'Ctrl-Shift-Z', needs: 'editor', enabled: (c) => c.canRedo, run: (c) => c.redo() },
  'clear-outputs': { label: 'Clear outputs of selected cells', group: 'Cell', needs: 'editor', run: (c) => c.clearOutputs('selected') },
  'clear-all-outputs': { label: 'Clear all outputs', group: 'Cell', needs: 'editor', run: (c) => c.clearOutputs('all') },
  'select-above': { label: 'Select cell above', group: 'Selection', keys: 'Up, K', needs: 'viewer', run: (c) => c.moveSelection(-1) },
  'select-below': { label: 'Select cell below', group: 'Selection', keys: 'Down, J', needs: 'viewer', run: (c) => c.moveSelection(1) },
  'extend-above': { label: 'Extend selection above', group: 'Selection', keys: 'Shift-Up', needs: 'viewer', run: (c) => c.moveSelection(-1, true) },
  'extend-below': { label: 'Extend selection below', group: 'Selection', keys: 'Shift-Down', needs: 'viewer', run: (c) => c.moveSelection(1, true) },
  'toggle-outputs': { label: 'Hide or show outputs', group: 'View', keys: 'O', needs: 'viewer', run: (c) => c.toggleOutputs() },
  'line-numbers': {
    label: (c) => `${c.lineNumbers ? 'Hide' : 'Show'} line numbers`,
    group: 'View',
    keys: 'Shift-L',
    needs: 'viewer',
    run: (c) => c.toggleLineNumbers(),
  },
  environment: { label: 'Show or hide the Environment panel', group: 'View', needs: 'viewer', run: (c) => c.togglePanel('environment') },
  history: { label: 'Show history', group: 'View', needs: 'viewer', run: (c) => c.togglePanel('history') },
  runs: { label: 'Show runs and schedule', group: 'View', needs: 'viewer', run: (c) => c.togglePanel('runs') },
  'save-version': { label: 'Save version', group: 'Notebook', needs: 'editor', run: (c) => void c.saveVersion() },
  save: { label: 'Save (Tandem saves as you type)', group: 'Notebook', keys: 'Ctrl-S', editKeys: 'Ctrl-S', needs: 'viewer', run: (c) => c.announceSaveState() },
  palette: { label: 'Command palette', group: 'Notebook', keys: 'Ctrl-Shift-C', editKeys: 'Ctrl-Shift-C', needs: 'viewer', run: (c) => (c.dialog = 'palette') },
  shortcuts: { label: 'Keyboard shortcuts', group: 'Notebook', keys: 'H', needs: 'viewer', run: (c) => (c.dialog = 'help') },
} satisfies Record<string, Command>;

export type CommandId = keyof typeof COMMAND_LIST;

export const COMMANDS: Readonly<Record<CommandId, Command>> = COMMAND_LIST;
export const COMMAND_IDS = Object.keys(COMMAND_LIST) as CommandId[];

export function labelOf(id: CommandId, c: NotebookController): string {
  const { label } = COMMANDS[id];
  return typeof label === 'string' ? label : label(c);
}

/** Whether this person's role allows the command at all (otherwise it is not offered). */
export function allowed(id: CommandId, role: Role): boolean {
  return roleAtLeast(role, COMMANDS[id].needs);
}

export function enabled(id: CommandId, c: NotebookController): boolean {
  const cmd: Command = COMMANDS[id];
  return allowed(id, c.role) && (cmd.enabled?.(c) ?? true);
}

/** Runs a command if this person may; returns whether it ran. */
export function runCommand(id: CommandId, c: NotebookController): boolean {
  if (!enabled(id, c)) return false;
  COMMANDS[id].run(c);
  return true;
}

/** A toolbar menu made of commands, in this order. */
export function menuOf(c: NotebookController, entries: (CommandId | 'separator')[]): MenuEntry[] {
  return entries
    .filter((e) => e === 'separator' || allowed(e, c.role))
    .map((e) =>
      e === 'separator'
        ? e
        : {
            label: labelOf(e, c),
            hint: COMMANDS[e].keys ?? COMMANDS[e].editKeys,
            disabled: !enabled(e, c),
            danger: COMMANDS[e].danger,
            run: () => runCommand(e, c),
          },
    );
}

/** A button's tooltip: the command's name and key. */
export function tooltip(id: CommandId, c: NotebookController): string {
  const keys = COMMANDS[id].keys ?? COMMANDS[id].editKeys;
  return keys ? `${labelOf(id, c)} (${keys})` : labelOf(id, c);
}

/** Keys that belong to the text editor itself, listed in the help sheet beside the commands. */
export const EDITOR_TEXT_KEYS: { keys: string; what: string }[] = [
  { keys: 'Tab / Shift-Tab', what: 'Indent / dedent' },
  { keys: 'Up / Down at an edge', what: 'Into the cell above / below' },
];
