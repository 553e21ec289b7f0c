// Which versions age out: every one for the first days, then one a day; labelled ones stay.

import { expect, test } from 'vitest';
import type { VersionMeta } from '../../server/storage/version-store';
import { versionsToDrop } from '../../server/versions/retention';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-06T12:00:00Z');

function at(ms: number, label: string | null = null): VersionMeta {
  return {
    id: `${ms.toString(36)}-a`,
    createdAt: new Date(ms).toISOString(),
    authors: [],
    label,
    reason: label ? 'manual' : 'auto',
    bytes: 1,
    base: null,
    depth: 0,
  };
}

test('every version younger than the keep-all period is kept', () => {
  const versions = Array.from({ length: 50 }, (_, i) => at(NOW - i * 3_600_000));
  expect(versionsToDrop(versions, { keepAllDays: 30 }, NOW)).toEqual([]);
});

test('older versions thin out to the newest of each day', () => {
  const day40 = Date.parse('2026-10-27T00:00:00Z');
  const morning = at(day40 + 8 * 3_600_000);
  const noon = at(day40 + 12 * 3_600_000);
  const evening = at(day40 + 20 * 3_600_000);
  const nextDay = at(day40 + DAY + 3_600_000);
  const recent = at(NOW - DAY);
  const dropped = versionsToDrop([morning, evening, noon, nextDay, recent], { keepAllDays: 30 }, NOW);
  expect(dropped.sort()).toEqual([morning.id, noon.id].sort());
});

test('a labelled version is kept however old', () => {
  const day40 = NOW - 40 * DAY;
  const labelled = at(day40, 'quarterly numbers');
  const later = at(day40 + 60_000);
  expect(versionsToDrop([labelled, later], { keepAllDays: 30 }, NOW)).toEqual([]);
});
