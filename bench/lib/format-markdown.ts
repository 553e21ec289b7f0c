// Markdown the benches write (RESULTS.md, bench/results/*.md), aligned as the repository's
// formatter keeps it, so that `npm run lint` stays green after a run.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../servers/paths.js';

export function formatted(file: string): string {
  spawnSync(join(REPO, 'node_modules', '.bin', 'biome'), ['format', '--write', file], { stdio: 'ignore' });
  return file;
}
