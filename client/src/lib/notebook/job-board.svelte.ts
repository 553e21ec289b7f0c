// The notebook's `jobs` map, as everyone on it sees it: each headless run's status, the cell it
// is running and its query's progress. Only the server writes it; the Run as job dialog follows
// one job here, and the Runs panel lists again whenever a job starts or ends.
import { JOBS_MAP, type JobProgress } from '@common/doc-schema';
import * as Y from 'yjs';

function isProgress(v: unknown): v is JobProgress {
  if (!v || typeof v !== 'object') return false;
  const p = v as Partial<JobProgress>;
  return typeof p.id === 'string' && typeof p.status === 'string' && typeof p.queuedAt === 'number';
}

export const isActive = (job: Pick<JobProgress, 'status'>): boolean => job.status === 'queued' || job.status === 'running';

export class JobBoard {
  /** Job id -> its progress. */
  byId = $state.raw(new Map<string, JobProgress>());
  /** Queued and running jobs, oldest first. */
  active = $state.raw<JobProgress[]>([]);
  /** Changes whenever a job appears or changes status (not on mere progress): lists follow it. */
  statusKey = $state('');

  readonly #map: Y.Map<unknown>;
  #onChange = (): void => this.#read();

  constructor(ydoc: Y.Doc) {
    this.#map = ydoc.getMap(JOBS_MAP);
    this.#map.observe(this.#onChange);
    this.#read();
  }

  #read(): void {
    const next = new Map<string, JobProgress>();
    for (const [id, value] of this.#map.entries()) {
      const plain = value instanceof Y.AbstractType ? value.toJSON() : value;
      if (isProgress(plain)) next.set(id, plain);
    }
    this.byId = next;
    this.active = [...next.values()].filter(isActive).sort((a, b) => a.queuedAt - b.queuedAt);
    const key = [...next.values()]
      .map((job) => `${job.id}:${job.status}`)
      .sort()
      .join(',');
    if (key !== this.statusKey) this.statusKey = key;
  }

  dispose(): void {
    this.#map.unobserve(this.#onChange);
  }
}
