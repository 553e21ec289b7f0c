// Every suite by name, with the workload description printed above its table in RESULTS.md.
import type { BenchConfig } from '../config.js';
import { conformance } from './conformance.js';
import { footprintConnections, footprintNotebooks } from './footprint.js';
import { join } from './join.js';
import { pairing } from './pairing.js';
import { presence } from './presence.js';
import { propagation } from './propagation.js';
import type { Suite } from './types.js';

export const SUITES = {
  conformance,
  propagation,
  pairing,
  join,
  presence,
  'footprint-connections': footprintConnections,
  'footprint-notebooks': footprintNotebooks,
} satisfies Record<string, Suite<never>>;

export type SuiteName = keyof typeof SUITES;

export interface Job {
  /** Unique within a run: suite plus variant. */
  id: string;
  suite: SuiteName;
  title: string;
  workload: string;
  params: unknown;
}

/** The run's jobs, in the order they run and appear. */
export function jobsFor(c: BenchConfig): Job[] {
  const jobs: Job[] = [
    {
      id: 'conformance',
      suite: 'conformance',
      title: 'Load client check',
      workload: `The cheap load client and y-websocket's WebsocketProvider (with @jupyter/ydoc's YNotebook) make ${c.conformance.edits} interleaved edits (typing, inserting and deleting cells) in one notebook; both, and a client joining afterwards, must hold the same document. Once per run, on the first server available of ${c.conformanceOn.join(', ')}; Hocuspocus's framing is checked by the pairing run instead (all replicas equal).`,
      params: c.conformance,
    },
  ];
  for (const p of c.propagation) {
    jobs.push({
      id: `propagation-${p.observers}`,
      suite: 'propagation',
      title: `Propagation, ${p.observers} observers`,
      workload: `One writer types ${p.editsPerSecond} edits/s at the end of a cell for ${p.seconds} s (the first ${p.warmupSeconds} s unmeasured); ${p.observers} read-only observers (viewer share links on Tandem) receive them. Latency is from the writer's send to each observer's receipt.`,
      params: p,
    });
  }
  const pr = c.pairing;
  jobs.push({
    id: 'pairing',
    suite: 'pairing',
    title: `Pairing, ${pr.editors} editors`,
    workload: `${pr.editors} editors each type ${pr.editsPerSecond} edits/s into their own cell for ${pr.seconds} s (the first ${pr.warmupSeconds} s unmeasured); latency is measured at every other editor. At the end all replicas and a freshly joined client must be equal.`,
    params: pr,
  });
  const j = c.join;
  jobs.push({
    id: 'join',
    suite: 'join',
    title: `Join storm, ${j.clients} clients`,
    workload: `${j.clients} clients open the same ${(j.notebookBytes / 1e6).toFixed(1)} MB notebook (Python Data Science Handbook chapters from the corpus, with their outputs) at the same moment; the room is already open. Time runs from the storm's start to each client's receipt of the whole state. Timeout ${j.timeoutSeconds} s.`,
    params: j,
  });
  const p = c.presence;
  jobs.push({
    id: 'presence',
    suite: 'presence',
    title: `Presence, ${p.clients} clients`,
    workload: `${p.clients} editors each send an awareness update (cursor) ${p.awarenessHz}×/s, at random phases, while one writer types ${p.editsPerSecond} edits/s; measured over ${p.seconds - p.warmupSeconds} s after ${p.warmupSeconds} s of warm-up. Latency is the writer's edits at all ${p.clients} clients.`,
    params: p,
  });
  const f = c.footprint;
  jobs.push({
    id: 'footprint-connections',
    suite: 'footprint-connections',
    title: 'Footprint: idle connections',
    workload: `${f.idleConnections} editor connections join one small notebook and stay idle; settled server RSS after, minus before, divided by the connections.`,
    params: f,
  });
  jobs.push({
    id: 'footprint-notebooks',
    suite: 'footprint-notebooks',
    title: 'Footprint: loaded notebooks',
    workload: `${f.notebooks} copies of ${f.notebookFile} (110 KB of JSON) are opened, each with one connection keeping it open; settled server RSS after, minus before, divided by the notebooks.`,
    params: f,
  });
  return jobs;
}
