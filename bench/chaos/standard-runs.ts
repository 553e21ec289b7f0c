// The chaos runs as `npm run chaos` and `npm run bench` make them: eight clients editing at
// random with offline spells, the server SIGKILLed every 2–5 s (one process), or three
// replicas on one Redis behind nginx with a random one killed, the owner more often than not.

import { join } from 'node:path';
import { WORK } from '../servers/paths.js';
import { type ChaosOptions, type ChaosReport, runChaos } from './run-chaos.js';
import { runClusterChaos } from './run-cluster-chaos.js';

export type ChaosKind = 'single' | 'cluster';

/** What a chaos run proves, in the few figures RESULTS.md carries as its evidence. */
export interface ChaosSummary {
  kind: ChaosKind;
  seconds: number;
  seed: number;
  edits: number;
  received: number;
  kills: number;
  ownerKills: number | null;
  lost: number;
  duplicated: number;
  resurrected: number;
  /** Every client, a fresh client, the contents API and the file on disk agreed at the end. */
  allEqual: boolean;
}

export function chaosPassed(report: ChaosReport): boolean {
  const t = report.tags;
  return (
    t.lost === 0 &&
    t.duplicated === 0 &&
    t.resurrected === 0 &&
    report.clientsEqual &&
    report.freshClientEqual &&
    report.contentsApiEqual &&
    report.diskEqual &&
    report.unexpectedExits.length === 0
  );
}

export async function standardChaos(
  kind: ChaosKind,
  run: { seconds: number; seed: number; clients?: number; log?: (line: string) => void },
): Promise<ChaosReport> {
  const options: ChaosOptions = {
    clients: run.clients ?? 8,
    seconds: run.seconds,
    killEvery: [2, 5],
    actionEvery: [40, 160],
    seed: run.seed,
    workDir: join(WORK, kind === 'cluster' ? 'chaos-cluster' : 'chaos'),
    log: run.log,
  };
  return kind === 'cluster' ? runClusterChaos({ ...options, replicas: 3, leaseSeconds: 2, ownerKillChance: 0.7 }) : runChaos(options);
}

export function summarise(kind: ChaosKind, seconds: number, seed: number, report: ChaosReport): ChaosSummary {
  const t = report.tags;
  return {
    kind,
    seconds,
    seed,
    edits: report.edits.actions,
    received: t.received,
    kills: report.kills,
    ownerKills: 'ownerKills' in report ? (report.ownerKills as number) : null,
    lost: t.lost,
    duplicated: t.duplicated,
    resurrected: t.resurrected,
    allEqual: chaosPassed(report),
  };
}
