// What a test starts and must not outlive it: servers are killed (nothing to save in a test's
// throwaway root), clients closed and temporary roots removed after each test.

import { afterEach } from 'vitest';
import type { NotebookClient } from './clients';
import { removeRoot, type TandemProcess } from './tandem';

export interface TestLeftovers {
  servers: TandemProcess[];
  clients: NotebookClient[];
  roots: string[];
}

export function cleanedAfterEach(): TestLeftovers {
  const left: TestLeftovers = { servers: [], clients: [], roots: [] };
  afterEach(async () => {
    for (const client of left.clients.splice(0)) client.destroy();
    await Promise.all(left.servers.splice(0).map((server) => server.kill9()));
    for (const root of left.roots.splice(0)) removeRoot(root);
  });
  return left;
}
