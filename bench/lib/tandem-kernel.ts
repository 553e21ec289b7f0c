// Running cells on Tandem as its users do: a notebook opened by an editor (who asks for runs,
// with its state vector, as the web client does) and followed by a viewer (a share link), both
// real y-websocket providers over @jupyter/ydoc's YNotebook. Runs go through
// POST /api/notebooks/{fileId}/execute; their outputs are read where users read them, in each
// client's copy of the document.
import * as Y from 'yjs';
import type { ServerInfo } from '../servers/types.js';
import { outputTextOf } from './cells.js';
import { codeNotebook } from './notebooks.js';
import { type RealClient, realClient, whenSynced } from './provider.js';
import { api, importNotebook, shareToken } from './rooms.js';
import { now } from './stats.js';

export interface TandemRunTimes {
  /** The expected output is in the requesting editor's document, ms after the request was sent. */
  requesterMs: number;
  /** The same, in the viewer's document. */
  viewerMs: number;
  /** The run's record in the document says it finished, ms after the request. */
  doneMs: number;
  /**
   * Wall-clock times (Date.now(), as the server stamps its records) of the request, of the
   * record's queued, started and finished stamps, and of the output reaching the viewer: where
   * the time went.
   */
  clock: { sent: number; queued?: number; started?: number; finished?: number; viewer: number };
  /**
   * The run's id, and the send and the viewer's receipt on the clock of the server's
   * `--run-timings` marks (stats.ts's now(), sub-millisecond), to line them up with those.
   */
  precise: { runId: string; sent: number; viewer: number };
}

const FINISHED = new Set(['ok', 'error', 'cancelled', 'interrupted', 'failed']);

export class TandemNotebook {
  private constructor(
    private readonly server: ServerInfo,
    readonly fileId: string,
    readonly requester: RealClient,
    readonly viewer: RealClient | null,
  ) {}

  /** Writes the notebook, opens its room and connects the editor (and a viewer if asked). */
  static async open(
    server: ServerInfo,
    path: string,
    cells: Array<{ id: string; source: string }>,
    opts: { viewer: boolean; metadata?: Record<string, unknown>; syncTimeoutMs: number },
  ): Promise<TandemNotebook> {
    const { fileId, sessionId } = await importNotebook(server, path, codeNotebook(cells, opts.metadata));
    const target = (token: string) => ({
      serverUrl: `ws://${server.host}:${server.port}/api/collaboration/room`,
      roomName: `json:notebook:${fileId}`,
      params: { sessionId, token },
    });
    const requester = realClient(target(server.token));
    const viewer = opts.viewer ? realClient(target(await shareToken(server, path, 'viewer'))) : null;
    const synced = await Promise.all([requester, viewer].map((c) => (c ? whenSynced(c.provider, opts.syncTimeoutMs) : true)));
    if (synced.includes(false)) {
      requester.destroy();
      viewer?.destroy();
      throw new Error(`the clients of ${path} did not sync within ${opts.syncTimeoutMs} ms`);
    }
    return new TandemNotebook(server, fileId, requester, viewer);
  }

  /**
   * Runs one cell and times the moment its output contains `expect` in each client's document.
   * The old output of the cell is cleared by the server when the run starts, so a repeated run
   * is timed on its own output.
   */
  async run(cellId: string, expect: string, timeoutMs: number): Promise<TandemRunTimes> {
    const reqDoc = this.requester.notebook.ydoc;
    const viewDoc = this.viewer?.notebook.ydoc;
    let requesterMs: number | undefined;
    let viewerMs: number | undefined;
    let viewerAt = 0;
    let viewerPrecise = 0;
    let doneMs: number | undefined;
    let runId: string | undefined;
    let started = 0;
    let wake: () => void = () => {};
    const finished = (): boolean => requesterMs !== undefined && (viewDoc === undefined || viewerMs !== undefined) && doneMs !== undefined;
    // Checked on every update the provider applies, so the time is that of the frame's arrival.
    const onRequester = (): void => {
      const at = performance.now() - started;
      if (requesterMs === undefined && outputTextOf(reqDoc, cellId).includes(expect)) requesterMs = at;
      if (doneMs === undefined && runId) {
        const record = reqDoc.getMap('executions').get(runId) as { status?: string } | undefined;
        if (record?.status && FINISHED.has(record.status)) doneMs = at;
      }
      if (finished()) wake();
    };
    const onViewer = (): void => {
      if (viewerMs === undefined && viewDoc && outputTextOf(viewDoc, cellId).includes(expect)) {
        viewerMs = performance.now() - started;
        viewerAt = Date.now();
        viewerPrecise = now();
      }
      if (finished()) wake();
    };
    reqDoc.on('update', onRequester);
    viewDoc?.on('update', onViewer);
    try {
      const done = new Promise<void>((resolve) => (wake = resolve));
      const sent = Date.now();
      const sentPrecise = now();
      started = performance.now();
      const reply = await api<{ runs: Array<{ id: string }> }>(this.server, 'POST', `/api/notebooks/${this.fileId}/execute`, {
        cellIds: [cellId],
        after: Buffer.from(Y.encodeStateVector(reqDoc)).toString('base64'),
      });
      runId = reply.runs[0]?.id;
      if (!runId) throw new Error(`execute queued no run for cell ${cellId}`);
      onRequester(); // the record may already have arrived with the reply
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([done.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)))]);
      clearTimeout(timer);
      if (timedOut) {
        const record = reqDoc.getMap('executions').get(runId) as { status?: string; message?: string } | undefined;
        throw new Error(
          `run of ${cellId} not seen through within ${timeoutMs} ms (status ${record?.status ?? 'none'}${record?.message ? `: ${record.message}` : ''}; output ${JSON.stringify(outputTextOf(reqDoc, cellId).slice(0, 200))})`,
        );
      }
      const record = reqDoc.getMap('executions').get(runId) as { queuedAt?: number; startedAt?: number; finishedAt?: number };
      return {
        requesterMs: requesterMs!,
        viewerMs: viewerMs ?? requesterMs!,
        doneMs: doneMs!,
        clock: { sent, queued: record.queuedAt, started: record.startedAt, finished: record.finishedAt, viewer: viewerAt || sent + requesterMs! },
        precise: { runId, sent: sentPrecise, viewer: viewerPrecise || sentPrecise + requesterMs! },
      };
    } finally {
      reqDoc.off('update', onRequester);
      viewDoc?.off('update', onViewer);
    }
  }

  /** The notebook's `kernel` map (status, environment, pooled) as the editor sees it. */
  kernelState(): Record<string, unknown> {
    return this.requester.notebook.ydoc.getMap('kernel').toJSON();
  }

  async shutdownKernel(): Promise<void> {
    await api(this.server, 'POST', `/api/notebooks/${this.fileId}/shutdown`);
  }

  close(): void {
    this.requester.destroy();
    this.viewer?.destroy();
  }
}

/** GET /api/environments's pool: how many default kernels are started ahead, and how many wait ready. */
export async function poolStatus(server: ServerInfo): Promise<{ size: number; ready: number } | null> {
  const status = await api<{ pool: { size: number; ready: number } | null }>(server, 'GET', '/api/environments');
  return status.pool;
}
