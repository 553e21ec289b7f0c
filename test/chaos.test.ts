// Short chaos run against a real Tandem: eight real y-websocket clients edit one notebook at
// random, drop their sockets and work offline while the server is SIGKILLed and restarted on
// the same root. Guards DESIGN.md section 9 ("an update that has reached any other client must
// survive kill -9") and the failure jupyter-collaboration is known for: cells duplicated or
// edits lost after reconnects (jupyter-collaboration#594). Correctness only; speed is in bench/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type ChaosReport, runChaos } from '../bench/chaos/run-chaos.js';
import { expectNothingLost } from './helpers/chaos-verdict';

describe('chaos: random edits, dropped sockets and SIGKILLed servers', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'tandem-chaos-'));
  let report: ChaosReport;
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  test('no edit is lost or duplicated and every copy of the notebook ends equal', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
    // A restart takes a second or two (more on a busy machine), so kills come every 1.5-3 s.
    report = await runChaos({ clients: 8, seconds: 25, killEvery: [1.5, 3], actionEvery: [40, 160], seed, workDir });
    expect(report.kills, JSON.stringify(report, null, 2)).toBeGreaterThanOrEqual(1);
    expectNothingLost(report);
  }, 180_000);
});
