// The notebooks open in this browser tab, one app tab each. The address is the source of
// truth for which one shows: every way of opening a notebook (the file browser, New notebook,
// a share link, a typed /notebooks/{path}) navigates there, and the tab for that path is
// focused if it exists or added if not. Tabs are remembered for the browser tab's session,
// so a reload brings them back (each connects only when it is first shown).
import { notebookUrl, router, treeUrl } from '../router.svelte';

export interface NotebookTab {
  /** Stable across renames, so the open page (and its connection) survives one. */
  readonly key: number;
  path: string;
  /** Whether it was ever shown: a restored tab connects only then. */
  loaded: boolean;
}

const STORAGE_KEY = 'tandem.tabs';

function restore(): string[] {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string' && p !== '') : [];
  } catch {
    return [];
  }
}

class Tabs {
  items = $state<NotebookTab[]>([]);
  /** The folder the Files tab shows when it is chosen again. */
  lastFolder = $state('');
  #next = 1;

  constructor() {
    for (const path of restore()) this.#add(path, false);
  }

  /** The tab the address shows, if it shows a notebook. */
  get active(): NotebookTab | undefined {
    const route = router.route;
    return route.kind === 'notebook' ? this.items.find((t) => t.path === route.path) : undefined;
  }

  /** The one way to open a notebook: focuses its tab, or adds one. */
  open(path: string): void {
    const route = router.route;
    if (route.kind === 'notebook' && route.path === path) return;
    router.navigate(notebookUrl(path));
  }

  /** Called whenever the address changes: the notebook it names gets a tab, shown. */
  sync(): void {
    const route = router.route;
    if (route.kind === 'tree') this.lastFolder = route.path;
    if (route.kind !== 'notebook') return;
    const tab = this.items.find((t) => t.path === route.path) ?? this.#add(route.path, true);
    tab.loaded = true;
  }

  showFiles(): void {
    if (router.route.kind !== 'tree') router.navigate(treeUrl(this.lastFolder));
  }

  /** Closes a tab (its page unmounts and disconnects); the neighbour, or Files, is shown. */
  close(key: number): void {
    const i = this.items.findIndex((t) => t.key === key);
    if (i < 0) return;
    const wasActive = this.active?.key === key;
    this.items.splice(i, 1);
    this.#save();
    if (!wasActive) return;
    const next = this.items[i] ?? this.items[i - 1];
    if (next) router.navigate(notebookUrl(next.path), true);
    else router.navigate(treeUrl(this.lastFolder), true);
  }

  /** A notebook moved (renamed by us or by someone else): its tab, and the address, follow. */
  moved(key: number, path: string): void {
    const tab = this.items.find((t) => t.key === key);
    if (!tab || tab.path === path) return;
    const wasActive = this.active?.key === key;
    // Another tab may already show the new path (opened before the rename reached us): keep one.
    const twin = this.items.find((t) => t.key !== key && t.path === path);
    if (twin) this.items.splice(this.items.indexOf(twin), 1);
    tab.path = path;
    this.#save();
    if (wasActive) router.navigate(notebookUrl(path), true);
  }

  /**
   * The file browser renamed or moved `from`: tabs not yet shown follow it here. Shown tabs
   * are connected and follow the room's `state.path` themselves.
   */
  renamed(from: string, to: string): void {
    for (const tab of this.items) {
      if (tab.loaded) continue;
      if (tab.path === from) tab.path = to;
      else if (tab.path.startsWith(`${from}/`)) tab.path = to + tab.path.slice(from.length);
    }
    this.#save();
  }

  #add(path: string, loaded: boolean): NotebookTab {
    this.items.push({ key: this.#next++, path, loaded });
    this.#save();
    // The proxy, not the plain object pushed, is what later writes must go through.
    return this.items[this.items.length - 1];
  }

  #save(): void {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.items.map((t) => t.path)));
    } catch {
      // Storage may be unavailable (private mode, quota): tabs then last until a reload.
    }
  }
}

export const tabs = new Tabs();

/** Whether a click should stay in the app rather than let the browser open the link. */
export function isPlainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}
