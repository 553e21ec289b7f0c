// The reactive list of cells of one notebook, kept in step with the `cells` Y.Array.
// A cell keeps its CellModel (and so its editor) for as long as its Y.Map lives.
import * as Y from 'yjs';
import { CellModel } from './cell.svelte';
import { type QueryMode, queryModeOf, readTandem, type TandemMetadata } from './tandem-metadata';

export class NotebookModel {
  cells = $state.raw<CellModel[]>([]);
  /** The kernelspec's display name from the notebook's metadata, until a kernel reports its own. */
  kernelName = $state<string | null>(null);
  /** metadata.kernelspec.name, which an environment builds on unless it names another. */
  kernelspecName = $state<string | null>(null);
  /** Tandem's own notebook metadata: the environment specification and the query mode. */
  tandem = $state.raw<TandemMetadata>({});
  queryMode = $state<QueryMode>('reproducible');
  readonly #ydoc: Y.Doc;
  readonly #meta: Y.Map<unknown>;
  #onMeta = (): void => {
    const metadata = this.#meta.get('metadata');
    const json = (metadata instanceof Y.Map ? metadata.toJSON() : metadata) as { kernelspec?: { display_name?: unknown; name?: unknown } } | undefined;
    const name = json?.kernelspec?.display_name;
    this.kernelName = typeof name === 'string' ? name : null;
    const specName = json?.kernelspec?.name;
    this.kernelspecName = typeof specName === 'string' && specName ? specName : null;
    const tandem = readTandem(this.#ydoc);
    // Metadata changes with every edit of any key: keep the old object when ours is unchanged,
    // so views of it do not redraw.
    if (JSON.stringify(tandem) !== JSON.stringify(this.tandem)) this.tandem = tandem;
    this.queryMode = queryModeOf(tandem);
  };
  readonly ycells: Y.Array<Y.Map<unknown>>;
  #models = new Map<Y.Map<unknown>, CellModel>();
  #onCells = (): void => this.#read();

  constructor(ydoc: Y.Doc) {
    this.#ydoc = ydoc;
    this.ycells = ydoc.getArray<Y.Map<unknown>>('cells');
    this.#read();
    this.ycells.observe(this.#onCells);
    this.#meta = ydoc.getMap('meta');
    this.#meta.observeDeep(this.#onMeta);
    this.#onMeta();
  }

  #read(): void {
    const next = new Map<Y.Map<unknown>, CellModel>();
    const cells: CellModel[] = [];
    for (const ymap of this.ycells.toArray()) {
      if (!(ymap instanceof Y.Map)) continue;
      const model = this.#models.get(ymap) ?? new CellModel(ymap);
      next.set(ymap, model);
      cells.push(model);
    }
    for (const [ymap, model] of this.#models) if (!next.has(ymap)) model.dispose();
    this.#models = next;
    // Selection checks run for every cell on every change: keep id lookups constant-time.
    // (The server keeps ids unique; if two ever collide, the first cell wins.)
    this.#index = new Map();
    cells.forEach((c, i) => {
      if (!this.#index.has(c.id)) this.#index.set(c.id, i);
    });
    this.cells = cells;
  }

  #index = new Map<string, number>();

  indexOfId(id: string | null): number {
    void this.cells; // a reactive read, so callers re-run when the list changes
    return id === null ? -1 : (this.#index.get(id) ?? -1);
  }

  byId(id: string | null): CellModel | undefined {
    const i = this.indexOfId(id);
    return i < 0 ? undefined : this.cells[i];
  }

  dispose(): void {
    this.ycells.unobserve(this.#onCells);
    this.#meta.unobserveDeep(this.#onMeta);
    for (const model of this.#models.values()) model.dispose();
    this.#models.clear();
  }
}
