// Which versions to drop as they age: every version is kept for `keepAllDays`, then only the
// newest of each day (UTC). Labelled versions were asked for by a person and are always kept.

import type { VersionMeta } from '../storage/version-store';

export interface RetentionPolicy {
  /** Keep every version this many days; older ones thin out to one a day. */
  keepAllDays: number;
}

const DAY_MS = 86_400_000;

/** The ids of `versions` (any order) that the policy no longer keeps at `now`. */
export function versionsToDrop(versions: readonly VersionMeta[], policy: RetentionPolicy, now: number): string[] {
  const cutoff = now - policy.keepAllDays * DAY_MS;
  const newestFirst = [...versions].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const daysKept = new Set<string>();
  const drop: string[] = [];
  for (const version of newestFirst) {
    const created = Date.parse(version.createdAt);
    if (version.label !== null || !(created < cutoff)) continue;
    const day = version.createdAt.slice(0, 10);
    if (daysKept.has(day)) drop.push(version.id);
    else daysKept.add(day);
  }
  return drop;
}
