// Cluster mode's start-up errors: a malformed --redis is a usage error, and a Redis that
// cannot be reached is a clear error and a non-zero exit, before the server listens.

import { expect, test } from 'vitest';
import { startTandem } from '../helpers/tandem';

test('a malformed --redis is refused with a usage error', async () => {
  await expect(startTandem({ args: ['--redis', 'localhost:6379'] })).rejects.toThrow(
    /exited with 2[\s\S]*--redis must be a URL such as redis:\/\/127.0.0.1:6379/,
  );
  await expect(startTandem({ args: ['--redis', 'redis://127.0.0.1:6379', '--lease', '0.1'] })).rejects.toThrow(/exited with 2[\s\S]*--lease must be a number/);
});

test('a Redis that cannot be reached is a clear start-up error, and the password in its URL is not printed', async () => {
  const failed = startTandem({ args: ['--redis', 'redis://:sekrit-password@127.0.0.1:1'] });
  await expect(failed).rejects.toThrow(/exited with 1[\s\S]*cannot reach Redis for cluster mode/);
  await expect(failed).rejects.not.toThrow(/sekrit-password/);
});
