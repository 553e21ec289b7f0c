// Started as root with local kernels, the server says plainly what that means, and starts.

import { expect, test } from 'vitest';
import { startTandem } from '../helpers/tandem';

test.runIf(process.getuid?.() === 0)('as root with local kernels, the start-up log warns that kernels run as root', async () => {
  const server = await startTandem();
  try {
    expect(server.logs()).toMatch(/runs as root with local kernels: every kernel, and so anyone with a run link, runs code as root/);
    expect((await server.api('GET', '/api/status')).status).toBe(200);
  } finally {
    await server.stop();
  }
});

test.runIf(process.getuid?.() !== 0)('as an ordinary user, no warning about root', async () => {
  const server = await startTandem();
  try {
    expect(server.logs()).not.toMatch(/as root/);
  } finally {
    await server.stop();
  }
});
