// npm run fuzz [-- --frames=2000 --rounds=2 --seed=N]
// Prints the fuzz report and exits non-zero on a crash, unbounded memory, a viewer write that
// got through, or a second room that stopped delivering.
import { join } from 'node:path';
import { runFuzz } from './fuzz/run-fuzz.js';
import { buildTandem } from './lib/bundle.js';
import { WORK } from './servers/paths.js';

const arg = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};

buildTandem();
const report = await runFuzz({
  framesPerRole: arg('frames', 2000),
  hostileRounds: arg('rounds', 2),
  seed: arg('seed', Date.now() % 1_000_000),
  workDir: join(WORK, 'fuzz'),
  maxRssMb: arg('max-rss-mb', 1536),
  log: (line) => console.log(line),
});
console.log(JSON.stringify(report, null, 2));
const ok =
  report.serverCrashed === null &&
  report.serverAnswersAfter &&
  report.rssBounded &&
  report.viewerChangedNothing &&
  report.targetStillOpens &&
  report.targetExportable &&
  report.calmRoom.lostDeliveries === 0;
console.log(ok ? 'fuzz: PASS' : 'fuzz: FAIL');
process.exit(ok ? 0 : 1);
