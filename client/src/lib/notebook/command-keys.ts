// Jupyter's command-mode keys, handled on the notebook element while no editor has focus.
// Each key names a command of the registry (commands.ts). Two-key commands (D D, I I, 0 0)
// need the same key twice within a short time.
import { COMMANDS, type CommandId } from './commands';
import type { NotebookController } from './controller.svelte';

const SEQUENCE_MS = 800;

/** Keys that run a command at once, without modifiers (Shift is part of the key's case). */
const SINGLE_KEYS: Record<string, CommandId> = {
  ArrowUp: 'select-above',
  k: 'select-above',
  K: 'extend-above',
  ArrowDown: 'select-below',
  j: 'select-below',
  J: 'extend-below',
  a: 'insert-above',
  b: 'insert-below',
  x: 'cut',
  c: 'copy',
  v: 'paste-below',
  V: 'paste-above',
  z: 'undo',
  Z: 'redo',
  y: 'to-code',
  m: 'to-markdown',
  r: 'to-raw',
  M: 'merge',
  L: 'line-numbers',
  o: 'toggle-outputs',
  h: 'shortcuts',
};

/** Keys pressed twice in a row. */
const DOUBLE_KEYS: Record<string, CommandId> = { d: 'delete', i: 'interrupt', I: 'interrupt', '0': 'restart' };

export class CommandKeys {
  #pending: { key: string; at: number } | null = null;

  constructor(private readonly c: NotebookController) {}

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
    // Keys run commands whatever the role: the controller itself says why it will not (a
    // viewer pressing A is told the notebook is read-only for them).
    const run = (id: CommandId): true => {
      COMMANDS[id].run(this.c);
      return true;
    };
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key;
    if (!(key in DOUBLE_KEYS)) this.#pending = null;

    if (key === 'Enter') {
      if (e.shiftKey) return run('run-advance');
      if (mod) return run('run-stay');
      if (e.altKey) return run('run-insert');
      return run('edit-cell');
    }
    if (mod && e.shiftKey && (key === 'ArrowUp' || key === 'ArrowDown')) return run(key === 'ArrowUp' ? 'move-up' : 'move-down');
    if (mod && e.shiftKey && (key === 'c' || key === 'C')) return run('palette');
    if (mod || e.altKey) {
      // Saving is continuous: say so, and keep the browser's own save dialog away.
      if (mod && !e.shiftKey && (key === 's' || key === 'S')) return run('save');
      return false;
    }
    if (e.shiftKey && (key === 'ArrowUp' || key === 'ArrowDown')) return run(key === 'ArrowUp' ? 'extend-above' : 'extend-below');
    const double = DOUBLE_KEYS[key];
    if (double) {
      if (this.#twice(key.toLowerCase())) COMMANDS[double].run(this.c);
      return true;
    }
    const single = SINGLE_KEYS[key];
    if (single) return run(single);
    return key === 'Escape';
  }
}
