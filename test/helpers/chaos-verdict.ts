// What every chaos run must end with (DESIGN.md section 9): no edit lost, doubled or brought
// back, no server exiting on its own, one history throughout, and every copy of the notebook
// equal. The whole report is the failure message, so a failed run can be replayed by its seed.

import { expect } from 'vitest';
import type { ChaosReport } from '../../bench/chaos/run-chaos.js';

export function expectNothingLost(report: ChaosReport): void {
  const summary = JSON.stringify(report, null, 2);
  expect(report.tags.received, summary).toBeGreaterThan(0);
  expect(report.tags.lost, summary).toBe(0);
  expect(report.tags.duplicated, summary).toBe(0);
  expect(report.tags.resurrected, summary).toBe(0);
  expect(report.unexpectedExits, summary).toEqual([]);
  expect(report.sessionIdStable, summary).toBe(true);
  expect(report.clientsEqual, summary).toBe(true);
  expect(report.freshClientEqual, summary).toBe(true);
  expect(report.contentsApiEqual, summary).toBe(true);
  expect(report.diskEqual, summary).toBe(true);
}
