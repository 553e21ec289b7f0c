// Debian's redis-server for the cluster runs, started as the tests start it (test/helpers/redis.ts)
// and as the README asks: on a free loopback port, in its own directory, with an append-only file
// fsynced every second, the persistence cluster mode's durability promise is made with.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type Proc, startProcess } from '../lib/spawn.js';
import { REPO } from './paths.js';

export interface RunningRedis {
  url: string;
  proc: Proc;
}

export async function startRedis(workDir: string, logFile: string): Promise<RunningRedis> {
  const dir = join(workDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''];
  const proc = startProcess('redis-server', args, { cwd: REPO, logFile });
  try {
    await proc.waitFor(/Ready to accept connections/, 15_000);
  } catch (err) {
    await proc.stop(500);
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, proc };
}
