// The chaos run: clients edit one Tandem notebook at random, drop connections and work offline,
// while the server is killed with SIGKILL and restarted on the same root and port every few
// seconds. At the end every copy (clients, a fresh client, the contents API, the file on disk)
// must be equal, and every tag that should be there must be there exactly once (DESIGN.md
// section 9: an update that reached any other client survives kill -9).
import '../lib/quiet-yjs.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { typingNotebook } from '../lib/notebooks.js';
import { realClient, whenSynced } from '../lib/provider.js';
import { Rng } from '../lib/random.js';
import { api, importNotebook, type ProviderTarget } from '../lib/rooms.js';
import { freePort } from '../lib/spawn.js';
import { startTandem } from '../servers/tandem.js';
import type { RunningServer, ServerInfo } from '../servers/types.js';
import { sleep, waitUntil } from '../suites/common.js';
import { ChaosClient, type ChaosCounts } from './chaos-client.js';
import { accountTags, type CellView, sameView, type TagAccount, viewOfDoc, viewOfNotebook } from './verify.js';

export interface ChaosOptions {
  clients: number;
  seconds: number;
  /** Seconds between kills, drawn uniformly from this range. */
  killEvery: [number, number];
  /** Milliseconds between one client's actions, drawn uniformly from this range. */
  actionEvery: [number, number];
  seed: number;
  workDir: string;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  kills: number;
  edits: ChaosCounts;
  tags: Omit<TagAccount, 'lost' | 'lostAfterReceipt' | 'duplicated' | 'resurrected'> & {
    lost: number;
    lostAfterReceipt: number;
    duplicated: number;
    resurrected: number;
    examples: string[];
  };
  clientsEqual: boolean;
  freshClientEqual: boolean;
  contentsApiEqual: boolean;
  diskEqual: boolean;
  sessionIdStable: boolean;
  /** Close codes the clients saw, with counts (1006 = dropped by a kill or by us). */
  closeCodes: Record<string, number>;
  /** Server exits that were not our SIGKILL. */
  unexpectedExits: string[];
  problems: string[];
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const rng = new Rng(opts.seed);
  rmSync(opts.workDir, { recursive: true, force: true });
  mkdirSync(opts.workDir, { recursive: true });
  const root = join(opts.workDir, 'root');
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const problems: string[] = [];
  const unexpectedExits: string[] = [];
  let starts = 0;
  let killing = false;

  const start = async (): Promise<RunningServer> => {
    const s = await startTandem({ workDir: opts.workDir, root, port, token, logFile: join(opts.workDir, `server-${starts++}.log`) });
    void s.exited.then((code) => {
      if (!killing) unexpectedExits.push(`exit ${code} (see server-${starts - 1}.log)`);
    });
    return s;
  };

  let server = await start();
  const info: ServerInfo = server.info;
  const path = 'chaos.ipynb';
  const { fileId, sessionId } = await importNotebook(info, path, typingNotebook(3));
  const target: ProviderTarget = {
    serverUrl: `ws://${info.host}:${port}/api/collaboration/room`,
    roomName: `json:notebook:${fileId}`,
    params: { sessionId, token },
  };
  const clients = Array.from({ length: opts.clients }, (_, i) => new ChaosClient(i, target, new Rng(opts.seed * 1000 + i + 1)));
  await Promise.all(clients.map((c) => whenSynced(c.real.provider, 15_000)));
  log(`chaos: ${opts.clients} clients on ${path}, seed ${opts.seed}, server on port ${port}`);

  const acting = actAtRandom(clients, rng, opts.actionEvery);

  // The killer: SIGKILL, a short pause, a restart on the same root and port.
  let kills = 0;
  let sessionIdStable = true;
  const deadline = Date.now() + opts.seconds * 1000;
  while (Date.now() < deadline) {
    await sleep(Math.min(rng.between(...opts.killEvery) * 1000, Math.max(0, deadline - Date.now())));
    if (Date.now() >= deadline) break;
    killing = true;
    server.kill('SIGKILL');
    await server.exited;
    killing = false;
    kills++;
    await sleep(rng.between(100, 800));
    server = await start();
    const again = await api<{ sessionId: string }>(server.info, 'PUT', `/api/collaboration/session/${path}`, { format: 'json', type: 'notebook' });
    if (again.sessionId !== sessionId) sessionIdStable = false;
    log(`chaos: kill ${kills}, restarted (sessionId ${again.sessionId === sessionId ? 'unchanged' : 'CHANGED'})`);
  }
  await acting.stop();

  const verdict = await settleAndVerify({ clients, target, server: server.info, root, path, problems });
  for (const c of clients) c.destroy();
  killing = true; // from here on, the server's exit is ours
  await server.stop();
  return { seed: opts.seed, seconds: opts.seconds, kills, ...verdict, sessionIdStable, unexpectedExits };
}

/** Each client acts on its own random schedule until stopped. */
export function actAtRandom(clients: ChaosClient[], rng: Rng, actionEvery: [number, number]): { stop(): Promise<void> } {
  let running = true;
  const loops = clients.map(async (c) => {
    while (running) {
      await sleep(rng.between(...actionEvery));
      if (running) c.act();
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** What the end of a chaos run finds, whatever it ran against. */
type Verdict = Omit<ChaosReport, 'seed' | 'seconds' | 'kills' | 'sessionIdStable' | 'unexpectedExits'>;

/**
 * The end of a chaos run: everyone back online and synced, then every copy compared (the
 * clients, a fresh client, the contents API and the file on disk, all read through `server`)
 * and every tag accounted for. `problems` gets what went wrong on the way.
 */
export async function settleAndVerify(run: {
  clients: ChaosClient[];
  target: ProviderTarget;
  server: ServerInfo;
  root: string;
  path: string;
  problems: string[];
}): Promise<Verdict> {
  const { clients, target, server, root, path, problems } = run;
  // Settle: everyone online, everyone synced, all replicas alike.
  for (const c of clients) c.comeOnline();
  const allSynced = await waitUntil(() => clients.every((c) => c.real.provider.wsconnected && c.real.provider.synced), 30_000, 100);
  if (!allSynced) problems.push('Not every client reconnected and synced within 30 s after the run.');
  const clientsEqual = await waitUntil(
    () => {
      const first = viewOfDoc(clients[0].doc);
      return clients.every((c) => sameView(viewOfDoc(c.doc), first));
    },
    30_000,
    200,
  );
  const clientView = viewOfDoc(clients[0].doc);

  // The server's document, read by a client that never took part.
  const fresh = realClient(target);
  const freshSynced = await whenSynced(fresh.provider, 15_000);
  // Anything still in flight from the participants lands within a moment.
  const freshClientEqual = freshSynced && (await waitUntil(() => sameView(viewOfDoc(fresh.notebook.ydoc), clientView), 10_000, 100));
  const finalView = freshSynced ? viewOfDoc(fresh.notebook.ydoc) : clientView;

  // The contents API and the file on disk (saved after a debounce). The API reads the live
  // document of the notebook's owner; in a cluster whose owner was just killed, the replica that
  // answers reads the file until another takes the notebook over, so it gets the same time.
  let apiError: string | null = null;
  const contentsApiEqual = await waitUntil(
    async () => {
      try {
        const model = await api<{ content: { cells: [] } }>(server, 'GET', `/api/contents/${path}?content=1`);
        apiError = null;
        return sameView(viewOfNotebook(model.content), clientView);
      } catch (err) {
        apiError = (err as Error).message;
        return false;
      }
    },
    20_000,
    250,
  );
  if (apiError) problems.push(`GET /api/contents/${path} failed: ${apiError}`);
  let diskView: CellView[] = [];
  const diskEqual = await waitUntil(
    () => {
      try {
        diskView = viewOfNotebook(JSON.parse(readFileSync(join(root, path), 'utf8')));
        return sameView(diskView, clientView);
      } catch {
        return false; // Mid-write or not yet saved.
      }
    },
    20_000,
    250,
  );

  const account = accountTags(clients, finalView);
  const closeCodes: Record<string, number> = {};
  for (const c of clients) for (const code of c.closeCodes) closeCodes[code] = (closeCodes[code] ?? 0) + 1;
  const edits = clients.reduce<ChaosCounts>(
    (sum, c) => {
      for (const k of Object.keys(sum) as Array<keyof ChaosCounts>) sum[k] += c.counts[k];
      return sum;
    },
    { actions: 0, typed: 0, cellsInserted: 0, cellsDeleted: 0, cellsMoved: 0, textDeleted: 0, drops: 0, offlineSpells: 0 },
  );
  if (closeCodes['1003']) problems.push(`Clients were closed with 1003 (unknown session) ${closeCodes['1003']} times.`);

  fresh.destroy();
  return {
    edits,
    tags: {
      expected: account.expected,
      received: account.received,
      lost: account.lost.length,
      lostAfterReceipt: account.lostAfterReceipt.length,
      duplicated: account.duplicated.length,
      resurrected: account.resurrected.length,
      examples: [...account.lostAfterReceipt, ...account.lost, ...account.duplicated, ...account.resurrected].slice(0, 10),
    },
    clientsEqual,
    freshClientEqual,
    contentsApiEqual,
    diskEqual,
    closeCodes,
    problems,
  };
}
