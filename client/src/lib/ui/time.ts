// Human-readable durations, ages and sizes for run timings and the file browser, and the
// shared clocks that keep them current.
import { createSubscriber } from 'svelte/reactivity';

/**
 * A shared clock for "just now" and running timers. Reading `now` inside a component makes it
 * update every `periodMs`; one interval serves every reader and stops when none is left, so a
 * list of a hundred snapshots costs one timer, not a hundred.
 */
class Clock {
  readonly #subscribe: () => void;

  constructor(periodMs: number) {
    this.#subscribe = createSubscriber((update) => {
      const timer = setInterval(update, periodMs);
      return () => clearInterval(timer);
    });
  }

  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

/** Ticks fast enough for an elapsed-time counter of a running cell or query. */
export const runningClock = new Clock(250);
/** Ticks often enough for ages ("just now", "3 minutes ago"). */
export const ageClock = new Clock(5_000);

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return `${m} min ${rest} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatAge(when: number | string, now = Date.now()): string {
  const t = typeof when === 'string' ? Date.parse(when) : when;
  if (!Number.isFinite(t)) return '';
  const s = Math.round((now - t) / 1000);
  if (s < 10) return 'just now';
  if (s < 60) return `${s} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'a minute ago' : `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 24) return h === 1 ? 'an hour ago' : `${h} hours ago`;
  const d = Math.round(h / 24);
  if (d < 30) return d === 1 ? 'yesterday' : `${d} days ago`;
  return new Date(t).toLocaleDateString();
}

export function formatClock(when: number): string {
  return new Date(when).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A moment as people say it: the time for today, the date and time for other days. */
export function formatWhen(when: number, now = Date.now()): string {
  const d = new Date(when);
  const sameDay = d.toDateString() === new Date(now).toDateString();
  return sameDay ? formatClock(when) : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${formatClock(when)}`;
}
