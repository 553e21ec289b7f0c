// npm run chaos [-- --seconds=60 --clients=8 --seed=N] [--cluster]
// Prints the chaos run's counts and exits non-zero if anything was lost, duplicated or unequal.
// --cluster: three replicas on one Redis behind nginx, a random one (the owner more often than
// not) SIGKILLed every few seconds, instead of one process.
import { join } from 'node:path';
import { type ChaosOptions, runChaos } from './chaos/run-chaos.js';
import { runClusterChaos } from './chaos/run-cluster-chaos.js';
import { buildTandem } from './lib/bundle.js';
import { WORK } from './servers/paths.js';

const arg = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};

buildTandem();
const cluster = process.argv.includes('--cluster');
const options: ChaosOptions = {
  clients: arg('clients', 8),
  seconds: arg('seconds', 60),
  killEvery: [2, 5],
  actionEvery: [40, 160],
  seed: arg('seed', Date.now() % 1_000_000),
  workDir: join(WORK, cluster ? 'chaos-cluster' : 'chaos'),
  log: (line) => console.log(line),
};
const report = cluster ? await runClusterChaos({ ...options, replicas: 3, leaseSeconds: 2, ownerKillChance: 0.7 }) : await runChaos(options);
console.log(JSON.stringify(report, null, 2));
const t = report.tags;
console.log(
  `\nedits made ${report.edits.actions} (tags expected ${t.expected}), received by others ${t.received}, lost ${t.lost} (after receipt ${t.lostAfterReceipt}), duplicated ${t.duplicated}, resurrected ${t.resurrected}; ${report.kills} SIGKILLs${'ownerKills' in report ? ` (${report.ownerKills} of the owner)` : ''}`,
);
const ok =
  t.lost === 0 &&
  t.duplicated === 0 &&
  t.resurrected === 0 &&
  report.clientsEqual &&
  report.freshClientEqual &&
  report.contentsApiEqual &&
  report.diskEqual &&
  report.unexpectedExits.length === 0;
console.log(ok ? 'chaos: PASS' : 'chaos: FAIL');
process.exit(ok ? 0 : 1);
