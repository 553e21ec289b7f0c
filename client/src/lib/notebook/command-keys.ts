// Jupyter's command-mode keys, handled on the notebook element while no editor has focus.
// Two-key commands (D D, I I, 0 0) need the same key twice within a short time.
import type { NotebookController } from './controller.svelte';

const SEQUENCE_MS = 800;

export interface KeyHelp {
  keys: string;
  what: string;
}

/** Shown in the keyboard help dialog. */
export const COMMAND_KEYS: KeyHelp[] = [
  { keys: 'Enter', what: 'Edit the selected cell' },
  { keys: 'Shift-Enter', what: 'Run, select below' },
  { keys: 'Ctrl-Enter', what: 'Run' },
  { keys: 'Alt-Enter', what: 'Run, insert below' },
  { keys: 'A / B', what: 'Insert cell above / below' },
  { keys: 'D D', what: 'Delete selected cells' },
  { keys: 'X / C / V', what: 'Cut / copy / paste below' },
  { keys: 'Shift-V', what: 'Paste above' },
  { keys: 'Z / Shift-Z', what: 'Undo / redo your own changes' },
  { keys: 'Y / M / R', what: 'Code / Markdown / Raw' },
  { keys: 'Up, K / Down, J', what: 'Select above / below' },
  { keys: 'Shift-Up / Shift-Down', what: 'Extend selection' },
  { keys: 'Ctrl-Shift-Up / Down', what: 'Move cells up / down' },
  { keys: 'Shift-M', what: 'Merge selected (or with below)' },
  { keys: 'I I', what: 'Interrupt the kernel' },
  { keys: '0 0', what: 'Restart the kernel' },
  { keys: 'Shift-L', what: 'Toggle line numbers' },
  { keys: 'O', what: 'Hide or show outputs' },
  { keys: 'Esc', what: 'Leave edit mode' },
];

export const EDIT_KEYS: KeyHelp[] = [
  { keys: 'Shift-Enter', what: 'Run, select below' },
  { keys: 'Ctrl-Enter', what: 'Run' },
  { keys: 'Alt-Enter', what: 'Run, insert below' },
  { keys: 'Esc', what: 'Command mode' },
  { keys: 'Ctrl-Shift-Minus', what: 'Split cell at cursor' },
  { keys: 'Ctrl-Z / Ctrl-Shift-Z', what: 'Undo / redo your own changes' },
  { keys: 'Tab / Shift-Tab', what: 'Indent / dedent' },
];

export class CommandKeys {
  #pending: { key: string; at: number } | null = null;

  constructor(
    private readonly c: NotebookController,
    private readonly confirmRestart: () => void,
    private readonly showHelp: () => void,
  ) {}

  #twice(key: string): boolean {
    const now = performance.now();
    if (this.#pending && this.#pending.key === key && now - this.#pending.at < SEQUENCE_MS) {
      this.#pending = null;
      return true;
    }
    this.#pending = { key, at: now };
    return false;
  }

  /** Returns true when the key was a notebook command (the caller then prevents default). */
  handle(e: KeyboardEvent): boolean {
    const c = this.c;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key;
    if (key !== 'd' && key !== 'D' && key !== 'i' && key !== 'I' && key !== '0') this.#pending = null;

    if (key === 'Enter') {
      if (e.shiftKey) c.run('advance');
      else if (mod) c.run('stay');
      else if (e.altKey) c.run('insert');
      else void c.editMode(c.activeId, 'keep');
      return true;
    }
    if (mod && e.shiftKey && (key === 'ArrowUp' || key === 'ArrowDown')) {
      c.moveSelected(key === 'ArrowUp' ? -1 : 1);
      return true;
    }
    if (mod || e.altKey) {
      if (mod && (key === 's' || key === 'S')) return true; // saving is continuous; keep the browser's dialog away
      return false;
    }
    switch (key) {
      case 'ArrowUp':
      case 'k':
      case 'K':
        c.moveSelection(-1, e.shiftKey);
        return true;
      case 'ArrowDown':
      case 'j':
      case 'J':
        c.moveSelection(1, e.shiftKey);
        return true;
      case 'a':
        c.insert('above');
        return true;
      case 'b':
        c.insert('below');
        return true;
      case 'd':
        if (this.#twice('d')) c.deleteSelected();
        return true;
      case 'x':
        c.cut();
        return true;
      case 'c':
        c.copy();
        return true;
      case 'v':
        c.paste('below');
        return true;
      case 'V':
        c.paste('above');
        return true;
      case 'z':
        c.undo();
        return true;
      case 'Z':
        c.redo();
        return true;
      case 'y':
        c.setType('code');
        return true;
      case 'm':
        c.setType('markdown');
        return true;
      case 'r':
        c.setType('raw');
        return true;
      case 'M':
        c.merge();
        return true;
      case 'L':
        c.toggleLineNumbers();
        return true;
      case 'o':
        c.toggleOutputs();
        return true;
      case 'i':
      case 'I':
        if (this.#twice('i')) void c.kernel('interrupt');
        return true;
      case '0':
        if (this.#twice('0')) this.confirmRestart();
        return true;
      case 'h':
        this.showHelp();
        return true;
      case 'Escape':
        return true;
      default:
        return false;
    }
  }
}
