// Short frame fuzz against a real Tandem: random and mutated y-protocols and awareness frames,
// and valid Yjs updates with hostile content (huge strings, deep nesting, cells outside the
// notebook schema, forged server-owned state), over viewer and editor sockets. Guards DESIGN.md
// section 9 (bad input changes nothing, never crashes the process or touches other rooms) and
// section 10 (a viewer can never cause a write). Correctness only; speed is in bench/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type FuzzReport, runFuzz } from '../bench/fuzz/run-fuzz.js';
import { stopTandemServersBelow } from './helpers/leftovers';

describe('fuzz: hostile frames and updates', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'tandem-fuzz-'));
  let report: FuzzReport;
  afterAll(async () => {
    // runFuzz stops its server when it finishes; when it throws or times out, this does.
    await stopTandemServersBelow();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('the server survives, a viewer changes nothing, and another room keeps syncing', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    report = await runFuzz({ framesPerRole: 300, hostileRounds: 1, seed, workDir, maxRssMb: 1536 });
    const summary = JSON.stringify(report, null, 2);
    expect(report.serverCrashed, summary).toBeNull();
    expect(report.serverAnswersAfter, summary).toBe(true);
    expect(report.viewerChangedNothing, summary).toBe(true);
    expect(report.targetStillOpens, summary).toBe(true);
    // Deeply nested metadata once made the notebook unsaveable (bench/repro/deep-metadata-blocks-save.ts).
    expect(report.targetExportable, summary).toBe(true);
    expect(report.rssBounded, summary).toBe(true);
    expect(report.calmRoom.lostDeliveries, summary).toBe(0);
    expect(report.framesSent.viewer + report.framesSent.editor, summary).toBeGreaterThan(500);
  }, 240_000);
});
