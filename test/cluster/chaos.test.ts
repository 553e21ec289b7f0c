// The chaos run in cluster mode: eight real y-websocket clients reach three replicas only
// through nginx (deploy/nginx/tandem.conf, round robin), edit one notebook at random, drop
// their sockets and work offline, while a replica (the notebook's owner more often than not)
// is SIGKILLed every few seconds and started again on its port. Guards DESIGN.md section 9
// across failovers: nothing lost, doubled or resurrected, and every copy equal, the .ipynb on
// disk included. Correctness only; speed is in bench/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runClusterChaos } from '../../bench/chaos/run-cluster-chaos.js';
import { expectNothingLost } from '../helpers/chaos-verdict';

const workDir = mkdtempSync(join(tmpdir(), 'tandem-cluster-chaos-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

test('three replicas behind nginx, kill -9 of a replica every few seconds: nothing lost or doubled, every copy equal', async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  // A replica takes a second or two to start again (more on a busy machine), so kills come every 1.5-3 s.
  const report = await runClusterChaos({
    clients: 8,
    seconds: 25,
    killEvery: [1.5, 3],
    actionEvery: [40, 160],
    seed,
    workDir,
    replicas: 3,
    leaseSeconds: 2,
    ownerKillChance: 0.7,
  });
  const summary = JSON.stringify(report, null, 2);
  // The first kill is always the owner's: at least one failover, however slow the machine.
  expect(report.ownerKills, summary).toBeGreaterThanOrEqual(1);
  expectNothingLost(report);
  console.log(
    `cluster chaos (seed ${seed}): ${report.edits.actions} edits, ${report.kills} kills (${report.ownerKills} of the owner), lost ${report.tags.lost}, duplicated ${report.tags.duplicated}, resurrected ${report.tags.resurrected}`,
  );
}, 240_000);
