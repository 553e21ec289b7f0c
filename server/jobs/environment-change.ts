// What differs between the environment a run record ran in and the one its reproduction ran
// in, in words: the Python version, and each package added, removed or at another version.

import type { EnvironmentDetail } from '../../common/api';

export function environmentChanges(before: EnvironmentDetail | null | undefined, after: EnvironmentDetail | null | undefined): string[] {
  // A kernelspec used as installed, or a record from before details were kept: the ids say it all.
  if (!before || !after) return [];
  const changes: string[] = [];
  if (before.python !== after.python) changes.push(`Python ${before.python} → ${after.python}`);
  const was = new Map(before.packages.map((p) => [p.name.toLowerCase(), p]));
  const now = new Map(after.packages.map((p) => [p.name.toLowerCase(), p]));
  for (const [key, p] of was) {
    const current = now.get(key);
    if (!current) changes.push(`${p.name} ${p.version} removed`);
    else if (current.version !== p.version) changes.push(`${p.name} ${p.version} → ${current.version}`);
  }
  for (const [key, p] of now) if (!was.has(key)) changes.push(`${p.name} ${p.version} added`);
  return changes;
}
