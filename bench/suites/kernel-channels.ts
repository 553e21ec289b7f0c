// The Jupyter kernel API's own figure (issue 15): a warm execute round trip as JupyterLab and VS
// Code make it, over the kernel channels WebSocket with the JSON protocol, on Tandem and on
// Jupyter Server with the same client, and on the same ipykernel driven over ZeroMQ from this
// process with no server (the bound). Each server gets a session on a notebook path, as a
// notebook editor opens one: on Tandem that is the notebook's shared kernel, so the run goes
// through the notebook's queue, and where the request names a cell (JupyterLab's cellId) Tandem
// also records the run and writes its outputs into the shared document.
import type { KernelParams } from '../config.js';
import { benchKernelSpec, DirectKernel } from '../lib/direct-kernel.js';
import { JupyterKernel } from '../lib/jupyter-kernel.js';
import { codeNotebook } from '../lib/notebooks.js';
import { api } from '../lib/rooms.js';
import { summarize } from '../lib/stats.js';
import type { ServerInfo } from '../servers/types.js';
import { sleep } from './common.js';
import { PRINT, WHOAMI } from './kernel.js';
import type { SuiteResult, TargetTask } from './types.js';

const PATH = 'kernel-channels.ipynb';
/** The notebook's one cell; requests that name it are recorded and written into it on Tandem. */
const CELL = 'probe';
const LABEL = 'warm execute round trip over the kernel channels socket (execute_request to execute_reply and idle)';

/** One round trip: the first output's text (to check it is this run's) and the time to reply and idle. */
interface Trip {
  text: string;
  doneMs: number;
}

interface Warm {
  identity: string;
  /** `cellId`, where given, goes in the request's metadata; with no server there is no metadata to carry it. */
  execute(code: string, cellId?: string): Promise<Trip>;
  close(): Promise<void>;
}

export async function kernelChannels(task: TargetTask<KernelParams>): Promise<SuiteResult> {
  const { params } = task;
  const target = await openWarm(task);
  const notes = [`Kernel: ${target.identity}.`];
  try {
    let n = 0;
    const once = async (cellId?: string): Promise<number> => {
      const expect = `<${++n}>`;
      const trip = await target.execute(PRINT, cellId);
      if (!trip.text.includes(expect)) throw new Error(`expected ${expect} first, the kernel printed ${JSON.stringify(trip.text)}`);
      return trip.doneMs;
    };
    for (let i = 0; i < params.warmupRuns; i++) await once(i % 2 ? CELL : undefined);
    const plain: number[] = [];
    const inCell: number[] = [];
    // Alternated, so that whatever else the machine does weighs on both alike.
    for (let i = 0; i < params.warmSamples; i++) {
      plain.push(await once());
      // As in the warm job: each request finds the kernel and the server idle.
      await sleep(params.gapMs);
      inCell.push(await once(CELL));
      await sleep(params.gapMs);
    }
    const p = summarize(plain);
    const c = summarize(inCell);
    return {
      metrics: [
        { label: `${LABEL}, median`, unit: 'ms', value: p.p50, better: 'lower' },
        { label: `${LABEL}, p99`, unit: 'ms', value: p.p99, better: 'lower' },
        { label: 'the same, the request naming a notebook cell (metadata.cellId, as JupyterLab sends), median', unit: 'ms', value: c.p50, better: 'lower' },
        { label: 'the same, the request naming a notebook cell (metadata.cellId, as JupyterLab sends), p99', unit: 'ms', value: c.p99, better: 'lower' },
      ],
      notes,
    };
  } finally {
    await target.close().catch((error: unknown) => notes.push(`Shutting the kernel down failed: ${(error as Error).message}`));
  }
}

async function openWarm(task: TargetTask<KernelParams>): Promise<Warm> {
  const timeoutMs = task.params.timeoutSeconds * 1000;
  if (task.target === 'direct') {
    const kernel = await DirectKernel.start(await benchKernelSpec(), task.workDir, timeoutMs);
    const execute = async (code: string): Promise<Trip> => {
      const t = await kernel.execute(code, timeoutMs);
      return { text: t.firstText, doneMs: t.doneMs };
    };
    const identity = (await execute(WHOAMI)).text.trim();
    return { identity: `${identity}, started by the kernel bridge's LocalRuntime in this process`, execute, close: () => kernel.shutdown() };
  }
  if (!task.server) throw new Error(`target ${task.target} needs a server`);
  return openSession(task.server, timeoutMs);
}

/** PUT the notebook, POST /api/sessions on its path, then the kernel's channels socket. */
async function openSession(server: ServerInfo, timeoutMs: number): Promise<Warm> {
  await api(server, 'PUT', `/api/contents/${PATH}`, { type: 'notebook', format: 'json', content: codeNotebook([{ id: CELL, source: PRINT }]) });
  const session = await api<{ id: string; kernel: { id: string } }>(server, 'POST', '/api/sessions', {
    path: PATH,
    name: PATH,
    type: 'notebook',
    kernel: { name: 'python3' },
  });
  // The first kernel on a fresh Tandem may build the default environment first: not measured.
  const kernel = await JupyterKernel.connect(server, session.kernel.id, timeoutMs * 4);
  const execute = async (code: string, cellId?: string): Promise<Trip> => {
    const t = await kernel.execute(code, timeoutMs, undefined, cellId ? { cellId } : {});
    return { text: String(t.firstOutput.content.text ?? ''), doneMs: t.doneMs };
  };
  const identity = (await execute(WHOAMI)).text.trim();
  const by = server.flavor === 'tandem' ? "the notebook's shared kernel in Tandem" : 'started by Jupyter Server from the same kernelspec';
  return {
    identity: `${identity}, ${by}`,
    execute,
    close: async () => {
      await api(server, 'DELETE', `/api/sessions/${session.id}`);
      await kernel.shutdown();
    },
  };
}
