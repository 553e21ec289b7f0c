// Short-lived messages at the bottom of the screen: errors from the server, confirmations.
import { describeError } from '../api/http';

export type ToastKind = 'info' | 'error' | 'success';
export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  show(message: string, kind: ToastKind = 'info', ms = kind === 'error' ? 8000 : 4000): void {
    const id = this.#next++;
    // The same message twice in a row (a key held down, say) is shown once.
    if (this.items.some((t) => t.message === message)) return;
    this.items = [...this.items, { id, kind, message }];
    setTimeout(() => this.dismiss(id), ms);
  }

  error(err: unknown, prefix?: string): void {
    const text = describeError(err);
    this.show(prefix ? `${prefix}: ${text}` : text, 'error');
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
