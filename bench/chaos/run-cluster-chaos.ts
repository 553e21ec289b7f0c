// The chaos run in cluster mode: three replicas on one Redis, one shared root and state
// directory, behind Debian's nginx configured with deploy/nginx/tandem.conf. The clients know
// only nginx's address, so round robin spreads them over the replicas. Every few seconds one
// replica is SIGKILLed (the notebook's owner more often than not, read from its lease in
// Redis) and started again on its port, so nginx needs no reload. The verdict is the
// single-process run's: nothing lost, doubled or resurrected, every copy equal.
import '../lib/quiet-yjs.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startNginx } from '../../test/helpers/nginx.js';
import { startRedis } from '../../test/helpers/redis.js';
import { ownerPort } from '../lib/cluster-owner.js';
import { typingNotebook } from '../lib/notebooks.js';
import { whenSynced } from '../lib/provider.js';
import { Rng } from '../lib/random.js';
import { api, importNotebook, type ProviderTarget } from '../lib/rooms.js';
import { freePort } from '../lib/spawn.js';
import { startTandem } from '../servers/tandem.js';
import type { RunningServer, ServerInfo } from '../servers/types.js';
import { sleep } from '../suites/common.js';
import { ChaosClient } from './chaos-client.js';
import { actAtRandom, type ChaosOptions, type ChaosReport, settleAndVerify } from './run-chaos.js';

export interface ClusterChaosOptions extends ChaosOptions {
  replicas: number;
  /** Seconds a lease lives unrenewed: how long a dead owner's notebook waits for a new one. */
  leaseSeconds: number;
  /** The chance that a kill (after the first, which always does) hits the notebook's owner rather than a random replica. */
  ownerKillChance: number;
}

export interface ClusterChaosReport extends ChaosReport {
  replicas: number;
  /** Kills that hit the notebook's owner. */
  ownerKills: number;
}

interface Replica {
  port: number;
  server: RunningServer;
  /** Set while this run kills or stops it, so its exit is not taken for a crash. */
  stopping: boolean;
}

export async function runClusterChaos(opts: ClusterChaosOptions): Promise<ClusterChaosReport> {
  const log = opts.log ?? (() => {});
  const rng = new Rng(opts.seed);
  rmSync(opts.workDir, { recursive: true, force: true });
  mkdirSync(opts.workDir, { recursive: true });
  const root = join(opts.workDir, 'root');
  const token = randomBytes(16).toString('hex');
  const problems: string[] = [];
  const unexpectedExits: string[] = [];
  const redis = await startRedis();
  const leases = new Redis(redis.url);
  let starts = 0;

  const launch = async (port: number, stopping: () => boolean): Promise<RunningServer> => {
    const logFile = `replica-${starts++}-port-${port}.log`;
    const args = ['--redis', redis.url, '--lease', String(opts.leaseSeconds), '--warm-pool', '0'];
    const server = await startTandem({ workDir: opts.workDir, root, port, token, args, logFile: join(opts.workDir, logFile) });
    void server.exited.then((code) => {
      if (!stopping()) unexpectedExits.push(`exit ${code} (see ${logFile})`);
    });
    return server;
  };
  const restart = async (replica: Replica): Promise<void> => {
    replica.server = await launch(replica.port, () => replica.stopping);
    replica.stopping = false;
  };

  const replicas: Replica[] = [];
  for (let i = 0; i < opts.replicas; i++) {
    const port = await freePort();
    const replica: Replica = { port, stopping: false, server: await launch(port, () => replica.stopping) };
    replicas.push(replica);
  }
  const nginx = await startNginx(replicas.map((replica) => replica.port));
  const entry: ServerInfo = { flavor: 'tandem', label: 'Tandem cluster behind nginx', host: '127.0.0.1', port: nginx.port, token, pid: 0, root };

  const path = 'chaos.ipynb';
  const { fileId, sessionId } = await importNotebook(entry, path, typingNotebook(3));
  const target: ProviderTarget = {
    serverUrl: `${nginx.wsBase}/api/collaboration/room`,
    roomName: `json:notebook:${fileId}`,
    params: { sessionId, token },
  };
  const clients = Array.from({ length: opts.clients }, (_, i) => new ChaosClient(i, target, new Rng(opts.seed * 1000 + i + 1)));
  await Promise.all(clients.map((c) => whenSynced(c.real.provider, 15_000)));
  log(
    `chaos (cluster): ${opts.clients} clients on ${path} through nginx :${nginx.port}, replicas on ${replicas.map((r) => r.port).join(', ')}, seed ${opts.seed}`,
  );

  const acting = actAtRandom(clients, rng, opts.actionEvery);

  // The killer: SIGKILL one replica, a short pause, a restart on its port.
  let kills = 0;
  let ownerKills = 0;
  let sessionIdStable = true;
  const deadline = Date.now() + opts.seconds * 1000;
  while (Date.now() < deadline) {
    await sleep(Math.min(rng.between(...opts.killEvery) * 1000, Math.max(0, deadline - Date.now())));
    if (Date.now() >= deadline) break;
    const owner = await ownerPort(leases, fileId);
    const ownerReplica = replicas.find((replica) => replica.port === owner);
    // The first kill always hits the owner: every run has at least one failover.
    const victim = ownerReplica && (kills === 0 || rng.next() < opts.ownerKillChance) ? ownerReplica : rng.pick(replicas);
    victim.stopping = true;
    victim.server.kill('SIGKILL');
    await victim.server.exited;
    kills++;
    if (victim === ownerReplica) ownerKills++;
    await sleep(rng.between(100, 800));
    await restart(victim);
    const again = await api<{ sessionId: string }>(entry, 'PUT', `/api/collaboration/session/${path}`, { format: 'json', type: 'notebook' });
    if (again.sessionId !== sessionId) sessionIdStable = false;
    log(
      `chaos (cluster): kill ${kills} (${victim === ownerReplica ? 'the owner' : 'not the owner'}, port ${victim.port}), restarted (sessionId ${again.sessionId === sessionId ? 'unchanged' : 'CHANGED'})`,
    );
  }
  await acting.stop();

  const verdict = await settleAndVerify({ clients, target, server: entry, root, path, problems });
  for (const c of clients) c.destroy();
  for (const replica of replicas) replica.stopping = true;
  await Promise.all(replicas.map((replica) => replica.server.stop()));
  leases.disconnect();
  await nginx.stop();
  await redis.stop();
  return { seed: opts.seed, seconds: opts.seconds, kills, ...verdict, sessionIdStable, unexpectedExits, replicas: opts.replicas, ownerKills };
}
