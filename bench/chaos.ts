// npm run chaos [-- --seconds=60 --clients=8 --seed=N] [--cluster]
// Prints the chaos run's counts and exits non-zero if anything was lost, duplicated or unequal.
// --cluster: three replicas on one Redis behind nginx, a random one (the owner more often than
// not) SIGKILLed every few seconds, instead of one process.
import { chaosPassed, standardChaos } from './chaos/standard-runs.js';
import { buildTandem } from './lib/bundle.js';

const arg = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};

buildTandem();
const cluster = process.argv.includes('--cluster');
const report = await standardChaos(cluster ? 'cluster' : 'single', {
  clients: arg('clients', 8),
  seconds: arg('seconds', 60),
  seed: arg('seed', Date.now() % 1_000_000),
  log: (line) => console.log(line),
});
console.log(JSON.stringify(report, null, 2));
const t = report.tags;
console.log(
  `\nedits made ${report.edits.actions} (tags expected ${t.expected}), received by others ${t.received}, lost ${t.lost} (after receipt ${t.lostAfterReceipt}), duplicated ${t.duplicated}, resurrected ${t.resurrected}; ${report.kills} SIGKILLs${'ownerKills' in report ? ` (${report.ownerKills} of the owner)` : ''}`,
);
const ok = chaosPassed(report);
console.log(ok ? 'chaos: PASS' : 'chaos: FAIL');
process.exit(ok ? 0 : 1);
