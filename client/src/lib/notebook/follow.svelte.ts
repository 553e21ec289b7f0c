// Follow mode: keep this view where another person is. Positions travel as "which cell is at
// the top of the viewport and how far into it", so screens of different sizes line up.
import { toasts } from '../ui/toasts.svelte';
import type { Peer, PresenceModel, Viewport } from './presence.svelte';

export function captureViewport(scroller: HTMLElement): Viewport | null {
  const top = scroller.getBoundingClientRect().top;
  for (const el of scroller.querySelectorAll<HTMLElement>('[data-cell-id]')) {
    const r = el.getBoundingClientRect();
    if (r.bottom > top + 1) {
      return { cellId: el.dataset.cellId ?? '', offset: r.height ? Math.max(0, (top - r.top) / r.height) : 0 };
    }
  }
  return null;
}

function cellElement(scroller: HTMLElement, id: string): HTMLElement | null {
  return scroller.querySelector<HTMLElement>(`[data-cell-id="${CSS.escape(id)}"]`);
}

/** Scrolls so the followed person's top cell sits at our top, then makes sure their active cell is visible. */
export function applyPeerPosition(scroller: HTMLElement, peer: Peer): void {
  const presence = peer.presence;
  if (!presence) return;
  const top = scroller.getBoundingClientRect().top;
  const vp = presence.viewport;
  if (vp) {
    const el = cellElement(scroller, vp.cellId);
    if (el) {
      const r = el.getBoundingClientRect();
      scroller.scrollTop += r.top - top + vp.offset * r.height;
    }
  }
  if (presence.cellId) {
    const el = cellElement(scroller, presence.cellId);
    if (el) {
      const r = el.getBoundingClientRect();
      const view = scroller.getBoundingClientRect();
      if (r.top < view.top || r.bottom > view.bottom) el.scrollIntoView({ block: r.height > view.height ? 'start' : 'center' });
    }
  }
}

export class Follow {
  /** Client id of the person followed, or null. */
  target = $state<number | null>(null);

  constructor(private readonly presence: PresenceModel) {}

  get peer(): Peer | undefined {
    return this.presence.peer(this.target);
  }

  start(clientId: number): void {
    this.target = clientId;
    this.presence.set({ following: clientId });
  }

  stop(): void {
    if (this.target === null) return;
    this.target = null;
    this.presence.set({ following: null });
  }

  toggle(clientId: number): void {
    if (this.target === clientId) this.stop();
    else this.start(clientId);
  }

  /** When the followed tab goes away, follow the same person in another tab, or stop. */
  reconcile(): void {
    if (this.target === null || this.peer) return;
    this.stop();
    toasts.show('The person you were following has left.', 'info');
  }
}
