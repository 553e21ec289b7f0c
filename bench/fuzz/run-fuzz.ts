// The frame fuzzer: hostile frames and hostile-but-valid updates over viewer and editor sockets
// of one notebook, while a second notebook carries on with a writer and an observer. The server
// must not crash, its memory must stay bounded, a viewer must change nothing, and the second
// room must keep delivering edits (DESIGN.md section 9: bad input never touches other rooms).
import '../lib/quiet-yjs.js';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { plainDialect } from '../lib/dialect.js';
import { syncStep2 } from '../lib/frames.js';
import { LoadClient } from '../lib/load-client.js';
import { docContent, sizedNotebook, typingNotebook } from '../lib/notebooks.js';
import { RssWatcher, readMemory, settledRssKb } from '../lib/proc.js';
import { Rng } from '../lib/random.js';
import { api, importNotebook, shareToken, urlOf } from '../lib/rooms.js';
import { type Summary, summarize } from '../lib/stats.js';
import { startTandem } from '../servers/tandem.js';
import type { ServerInfo } from '../servers/types.js';
import { LatencyProbe, sleep, Typist, waitUntil } from '../suites/common.js';
import { FRAME_CASES } from './frames.js';
import { HOSTILE_EDITS } from './hostile-edits.js';

export interface FuzzOptions {
  /** Random and mutated frames sent over each of the viewer and editor sockets. */
  framesPerRole: number;
  /** Rounds over the hostile-update list (each round applies every edit once). */
  hostileRounds: number;
  seed: number;
  workDir: string;
  /** Peak server RSS above this counts as unbounded. */
  maxRssMb: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  framesSent: { viewer: number; editor: number };
  hostileUpdates: { viewer: number; editor: number };
  /** Sockets the server closed on us (expected for bad input), by close code. */
  closes: Record<string, number>;
  permissionDenied: number;
  serverCrashed: string | null;
  serverAnswersAfter: boolean;
  rssMb: { before: number; peak: number; after: number };
  rssBounded: boolean;
  viewerChangedNothing: boolean;
  targetStillOpens: boolean;
  /** GET /api/contents on the fuzzed notebook still answers 200 (it can be exported and saved). */
  targetExportable: boolean;
  calmRoom: { before: Summary; during: Summary; lostDeliveries: number };
  problems: string[];
}

/** Connects (again, if the server closed the socket) and syncs a fuzzing socket. */
class Reconnecting {
  client: LoadClient;
  closes: number[] = [];
  denied = 0;
  constructor(private readonly make: () => LoadClient) {
    this.client = make();
  }
  async ready(): Promise<LoadClient> {
    if (this.client.isOpen()) return this.client;
    if (this.client.closeCode !== null) this.closes.push(this.client.closeCode);
    this.denied += this.client.denied;
    this.client.destroy();
    this.client = this.make();
    await this.client.connect();
    return this.client;
  }
  finish(): void {
    if (this.client.closeCode !== null) this.closes.push(this.client.closeCode);
    this.denied += this.client.denied;
    this.client.destroy();
  }
}

async function readDoc(url: string): Promise<Y.Doc | null> {
  const doc = new Y.Doc();
  const c = new LoadClient({ url, dialect: plainDialect, doc, readOnly: true });
  try {
    await c.connect(15_000);
    const timeout = sleep(30_000).then(() => -1);
    if ((await Promise.race([c.sync(), timeout])) < 0) return null;
    return doc;
  } catch {
    return null;
  } finally {
    c.destroy();
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => {});
  const rng = new Rng(opts.seed);
  rmSync(opts.workDir, { recursive: true, force: true });
  mkdirSync(opts.workDir, { recursive: true });
  const server = await startTandem({ workDir: opts.workDir, logFile: join(opts.workDir, 'server.log') });
  const s: ServerInfo = server.info;
  let crashed: string | null = null;
  let stopping = false;
  void server.exited.then((code) => {
    if (!stopping) crashed = `server exited (${code}); see ${join(opts.workDir, 'server.log')}`;
  });
  const problems: string[] = [];

  const roomUrl = async (path: string, nb: Parameters<typeof importNotebook>[2]) => {
    const { fileId, sessionId } = await importNotebook(s, path, nb);
    const viewer = await shareToken(s, path, 'viewer');
    const target = (token: string): string =>
      urlOf({ serverUrl: `ws://${s.host}:${s.port}/api/collaboration/room`, roomName: `json:notebook:${fileId}`, params: { sessionId, token } });
    return { editor: target(s.token), viewer: target(viewer) };
  };
  const fuzzRoom = await roomUrl('target.ipynb', sizedNotebook(6_000));
  const calmRoom = await roomUrl('calm.ipynb', typingNotebook(2));

  // The calm room: a writer at 10 edits/s and an observer, for the whole run.
  const probe = new LatencyProbe(() => 0);
  const calmDoc = new Y.Doc();
  const calmWriter = new LoadClient({ url: calmRoom.editor, dialect: plainDialect, doc: calmDoc });
  const calmObserver = new LoadClient({ url: calmRoom.viewer, dialect: plainDialect, readOnly: true, onUpdate: probe.listener(null) });
  for (const c of [calmWriter, calmObserver]) {
    await c.connect();
    await c.sync();
  }
  const typist = new Typist(calmDoc, 0, 0, 10);
  typist.start();
  await sleep(3000);
  const calmBefore = probe.samples.summary();
  const duringFrom = probe.samples.count;

  const rssBefore = (await settledRssKb(s.pid, 1000)) ?? 0;
  const watcher = new RssWatcher(s.pid);
  const snapshot = await readDoc(fuzzRoom.editor);
  if (!snapshot) throw new Error('the fuzzed notebook did not open before fuzzing');
  const before = JSON.stringify(docContent(snapshot));

  const frameSample = Y.encodeStateAsUpdate(snapshot);
  const sockets = (url: string, readOnly: boolean): Reconnecting =>
    new Reconnecting(() => new LoadClient({ url, dialect: plainDialect, readOnly, maxPayload: 512 * 1024 * 1024 }));

  const fuzzFrames = async (sock: Reconnecting, count: number): Promise<number> => {
    let sent = 0;
    for (let i = 0; i < count && !crashed; i++) {
      const c = rng.pick(FRAME_CASES);
      try {
        const client = await sock.ready();
        const frame = c.make(rng, frameSample);
        if (typeof frame === 'string') client.ws?.send(frame);
        else client.sendRaw(frame);
        sent++;
        if (i % 20 === 0) await client.drained();
      } catch {
        await sleep(50); // refused while the server protects itself; try again
      }
    }
    return sent;
  };

  /** Applies every hostile edit to a synced replica, sending each as an update and a step 2. */
  const hostile = async (url: string, readOnly: boolean, rounds: number): Promise<number> => {
    let sent = 0;
    for (let r = 0; r < rounds && !crashed; r++) {
      for (const edit of HOSTILE_EDITS) {
        const doc = new Y.Doc();
        const c = new LoadClient({ url, dialect: plainDialect, doc, readOnly, maxPayload: 512 * 1024 * 1024 });
        try {
          await c.connect();
          await Promise.race([c.sync(), sleep(15_000)]);
          // The change goes out as an update frame (the client sends what its doc changes)...
          edit.apply(doc, rng);
          // ...and again as a sync step 2 carrying the whole replica.
          c.sendFrame(syncStep2(Y.encodeStateAsUpdate(doc)));
          await c.drained();
          await sleep(100);
          sent++;
        } catch (err) {
          log(`fuzz: ${edit.name}: ${(err as Error).message}`);
        } finally {
          if (c.closeCode !== null) closes[c.closeCode] = (closes[c.closeCode] ?? 0) + 1;
          denied += c.denied;
          c.destroy();
          doc.destroy();
        }
      }
    }
    return sent;
  };
  const closes: Record<string, number> = {};
  let denied = 0;

  // Viewers first: nothing they send may change the notebook.
  log('fuzz: viewer sockets');
  const viewerSock = sockets(fuzzRoom.viewer, true);
  const viewerFrames = await fuzzFrames(viewerSock, opts.framesPerRole);
  const viewerHostile = await hostile(fuzzRoom.viewer, true, opts.hostileRounds);
  viewerSock.finish();
  await sleep(500);
  const afterViewers = await readDoc(fuzzRoom.editor);
  const viewerChangedNothing = afterViewers !== null && JSON.stringify(docContent(afterViewers)) === before;
  if (!viewerChangedNothing) problems.push('The notebook changed while only viewers sent frames.');

  log('fuzz: editor sockets');
  const editorSock = sockets(fuzzRoom.editor, false);
  const editorFrames = await fuzzFrames(editorSock, opts.framesPerRole);
  const editorHostile = await hostile(fuzzRoom.editor, false, opts.hostileRounds);
  editorSock.finish();
  for (const sock of [viewerSock, editorSock]) {
    for (const code of sock.closes) closes[code] = (closes[code] ?? 0) + 1;
    denied += sock.denied;
  }

  // The fuzzed notebook must still open, and the server must still answer.
  const targetStillOpens = (await readDoc(fuzzRoom.editor)) !== null;
  if (!targetStillOpens) problems.push('The fuzzed notebook no longer opens.');
  let targetExportable = false;
  try {
    await api(s, 'GET', '/api/contents/target.ipynb?content=1');
    targetExportable = true;
  } catch (err) {
    problems.push(`The fuzzed notebook can no longer be exported: ${(err as Error).message.slice(0, 160)}`);
  }
  let serverAnswersAfter = false;
  try {
    await api(s, 'GET', '/api/status');
    serverAnswersAfter = true;
  } catch (err) {
    problems.push(`GET /api/status failed after fuzzing: ${(err as Error).message}`);
  }

  typist.stop();
  const expected = typist.sent;
  await waitUntil(() => probe.received >= expected, 10_000);
  const during = probe.samples.values().slice(duringFrom);
  const peakKb = watcher.stop();
  const after = (await settledRssKb(s.pid, 2000)) ?? readMemory(s.pid)?.rssKb ?? 0;
  calmWriter.destroy();
  calmObserver.destroy();
  stopping = true;
  await server.stop();
  const rssMb = { before: rssBefore / 1024, peak: peakKb / 1024, after: after / 1024 };
  return {
    seed: opts.seed,
    framesSent: { viewer: viewerFrames, editor: editorFrames },
    hostileUpdates: { viewer: viewerHostile, editor: editorHostile },
    closes,
    permissionDenied: denied,
    serverCrashed: crashed,
    serverAnswersAfter,
    rssMb,
    rssBounded: rssMb.peak <= opts.maxRssMb,
    viewerChangedNothing,
    targetStillOpens,
    targetExportable,
    calmRoom: { before: calmBefore, during: summarize(during), lostDeliveries: Math.max(0, expected - probe.received) },
    problems,
  };
}
