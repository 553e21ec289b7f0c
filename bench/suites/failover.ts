// Failover: the owner of a notebook is killed with SIGKILL while editors on the other replicas
// keep it open; the figure is the time from the kill to the first run a surviving replica
// accepts (`POST .../execute` answered 202), and to that run's output in an editor's document.
// Each repetition kills the owner of a fresh notebook and then starts the dead replica again,
// so the cluster is whole for the next. One process has no one to take over: its column is a
// restart at once on the same root and port (what a supervisor such as systemd would do), with
// the same request asked of the new process.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import * as Y from 'yjs';
import type { FailoverParams } from '../config.js';
import { outputTextOf } from '../lib/cells.js';
import { ownerPort } from '../lib/cluster-owner.js';
import { LoadClient } from '../lib/load-client.js';
import { codeNotebook } from '../lib/notebooks.js';
import { noteKilled, noteStarted } from '../lib/replica-control.js';
import { baseUrl, importNotebook } from '../lib/rooms.js';
import { summarize } from '../lib/stats.js';
import { startTandem } from '../servers/tandem.js';
import type { RunningServer, ServerInfo } from '../servers/types.js';
import { sleep, waitUntil } from './common.js';
import type { Suite } from './types.js';

interface Replica {
  info: ServerInfo;
  /** Set for replicas this load process started (after a kill); stopped at the end. */
  running?: RunningServer;
}

/** Asks for a run until a server accepts it; resolves with the time it did (performance.now()). */
async function runWhenAccepted(server: ServerInfo, fileId: string, cellId: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl(server)}/api/notebooks/${fileId}/execute`, {
        method: 'POST',
        headers: { authorization: `token ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cellIds: [cellId] }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 202) return performance.now();
      last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`no run accepted within ${timeoutMs} ms (last answer: ${last})`);
}

async function editor(server: ServerInfo, fileId: string, sessionId: string): Promise<{ client: LoadClient; doc: Y.Doc }> {
  const doc = new Y.Doc();
  const url = `ws://${server.host}:${server.port}/api/collaboration/room/json:notebook:${fileId}?sessionId=${sessionId}&token=${server.token}`;
  const client = new LoadClient({ url, dialect: { hello: () => [], wrap: (f) => f, unwrap: (d) => d }, doc });
  await client.connect();
  if ((await client.sync()) < 0) throw new Error(`an editor on port ${server.port} was closed during its sync (${client.closeCode} ${client.closeReason})`);
  return { client, doc };
}

export const failover: Suite<FailoverParams> = async ({ server, params, workDir }) => {
  const notes: string[] = [];
  const cluster = server.replicas !== undefined;
  const replicas: Replica[] = (server.replicas ?? [server]).map((r) => ({ info: { ...server, ...r } }));
  const redis = server.redisUrl ? new Redis(server.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 }) : null;
  await redis?.connect();
  const accepted: number[] = [];
  const firstOutput: number[] = [];
  const timeoutMs = params.timeoutSeconds * 1000;
  let restarts = 0;

  const restart = async (info: ServerInfo): Promise<Replica> => {
    const running = await startTandem({
      workDir,
      root: info.root,
      token: info.token,
      // One process comes back on its address, as a restarted service does; a replica anywhere.
      port: cluster ? 0 : info.port,
      args: info.serverArgs ?? [],
      logFile: join(workDir, `restarted-${restarts++}.log`),
    });
    noteStarted(workDir, running.info.pid);
    return { info: { ...info, ...running.info, flavor: info.flavor }, running };
  };

  try {
    for (let k = 0; k < params.repetitions; k++) {
      const first = replicas[k % replicas.length].info;
      const path = `failover-${k}.ipynb`;
      const { fileId, sessionId } = await importNotebook(
        first,
        path,
        codeNotebook([
          { id: 'before', source: 'print("before the kill")' },
          { id: 'after', source: `print("after the kill ${k}")` },
        ]),
      );
      // Editors on every replica, the first one's first: it opens the room and owns the notebook.
      const editors: Array<{ client: LoadClient; doc: Y.Doc; on: number }> = [];
      for (let i = 0; i < replicas.length; i++) {
        const on = (k + i) % replicas.length;
        editors.push({ ...(await editor(replicas[on].info, fileId, sessionId)), on });
      }
      const ownerAt = redis ? await ownerPort(redis, fileId) : replicas[0].info.port;
      const owner = replicas.findIndex((r) => r.info.port === ownerAt);
      if (owner < 0) throw new Error(`no replica of this run holds the lease of ${path}`);
      // A kernel at work on the owner, as in a notebook in use.
      const reader = editors.find((e) => e.on !== owner) ?? editors[0];
      await runWhenAccepted(first, fileId, 'before', timeoutMs);
      if (!(await waitUntil(() => outputTextOf(reader.doc, 'before').includes('before the kill'), timeoutMs))) {
        throw new Error(`the first run of ${path} printed nothing within ${params.timeoutSeconds} s`);
      }

      const dead = replicas[owner];
      // Written down first, so that the orchestrator never takes the exit for a crash.
      noteKilled(workDir, dead.info.pid);
      const killedAt = performance.now();
      process.kill(dead.info.pid, 'SIGKILL');
      let acceptedAt: number;
      let readerDoc: Y.Doc;
      if (cluster) {
        // Asked of a survivor other than the reader's replica (when there is one), so the output crosses replicas.
        const via = replicas.findIndex((_, i) => i !== owner && i !== reader.on);
        acceptedAt = await runWhenAccepted(replicas[via < 0 ? reader.on : via].info, fileId, 'after', timeoutMs);
        readerDoc = reader.doc;
      } else {
        replicas[owner] = await restart(dead.info);
        acceptedAt = await runWhenAccepted(replicas[owner].info, fileId, 'after', timeoutMs);
        // The old editors' sockets died with the process; a user reconnects.
        const back = await editor(replicas[owner].info, fileId, sessionId);
        editors.push({ ...back, on: owner });
        readerDoc = back.doc;
      }
      const outputOk = await waitUntil(() => outputTextOf(readerDoc, 'after').includes(`after the kill ${k}`), timeoutMs, 5);
      const outputAt = performance.now();
      accepted.push(acceptedAt - killedAt);
      if (outputOk) firstOutput.push(outputAt - killedAt);
      else notes.push(`Repetition ${k + 1}: the run after the kill printed nothing within ${params.timeoutSeconds} s.`);
      for (const e of editors) e.client.destroy();
      await dead.running?.stop();
      // The cluster made whole again for the next repetition (one process was restarted above).
      if (cluster) replicas[owner] = await restart(dead.info);
    }
  } finally {
    await Promise.all(replicas.map((r) => r.running?.stop()));
    redis?.disconnect();
  }
  notes.push(
    `Each repetition, kill -9 to accepted run: ${accepted.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}; to its output: ${firstOutput.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}.`,
  );
  const a = summarize(accepted);
  const o = summarize(firstOutput);
  return {
    metrics: [
      { label: 'kill -9 to first accepted run, median', unit: 'ms', value: a.p50, better: 'lower' },
      { label: 'kill -9 to first accepted run, slowest', unit: 'ms', value: a.max, better: 'lower' },
      { label: "kill -9 to that run's output at an editor, median", unit: 'ms', value: o.p50, better: 'lower' },
      { label: 'repetitions', unit: 'count', value: accepted.length, better: 'none' },
    ],
    notes,
  };
};
