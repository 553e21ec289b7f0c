// Building blocks every workload shares: joining many clients, typing at a fixed rate,
// collecting latencies from tags, and waiting for replicas to converge.
import * as Y from 'yjs';
import { typeInto } from '../lib/cells.js';
import type { LoadClient } from '../lib/load-client.js';
import { readMemory } from '../lib/proc.js';
import { now, Samples } from '../lib/stats.js';
import { makeTag, scanTags } from '../lib/tags.js';
import type { ServerInfo } from '../servers/types.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await sleep(stepMs);
  }
  return cond();
}

/**
 * Connects and syncs `count` clients, `batch` at a time (a thousand simultaneous handshakes
 * measure the kernel's accept queue, not the server). Returns the clients that made it.
 */
export async function joinAll(
  count: number,
  batch: number,
  make: (i: number) => LoadClient,
): Promise<{ clients: LoadClient[]; failed: number; firstError: string | null }> {
  const clients: LoadClient[] = [];
  let failed = 0;
  let firstError: string | null = null;
  for (let start = 0; start < count; start += batch) {
    const group = Array.from({ length: Math.min(batch, count - start) }, (_, k) => make(start + k));
    const results = await Promise.allSettled(
      group.map(async (c) => {
        await c.connect();
        if ((await c.sync()) < 0) throw new Error(`closed during sync (${c.closeCode} ${c.closeReason})`);
        return c;
      }),
    );
    results.forEach((r, k) => {
      if (r.status === 'fulfilled') clients.push(r.value);
      else {
        failed++;
        firstError ??= String(r.reason?.message ?? r.reason);
        group[k].destroy();
      }
    });
  }
  return { clients, failed, firstError };
}

/** Measures send-to-receipt latency of tagged edits, counting each (writer, seq) per receiver. */
export class LatencyProbe {
  readonly samples = new Samples();
  received = 0;
  constructor(
    /** Edits with a lower sequence number were warm-up and are not measured. */
    private readonly measureFromSeq: (writer: number) => number,
  ) {}
  /** The `onUpdate` hook for one receiving client; `self` skips a writer's own echoes. */
  listener(self: number | null): (payload: Uint8Array, at: number) => void {
    return (payload, at) =>
      scanTags(payload, (tag) => {
        if (tag.writer === self || tag.seq < this.measureFromSeq(tag.writer)) return;
        this.received++;
        this.samples.push(at - tag.sentAt);
      });
  }
}

/**
 * Types one tag at a time at the end of a cell, `rate` edits a second, on a schedule kept
 * against the clock so that a late tick does not slow the rate down.
 */
export class Typist {
  sent = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  constructor(
    private readonly doc: Y.Doc,
    private readonly cellIndex: number,
    readonly writer: number,
    private readonly rate: number,
  ) {}
  start(delayMs = 0): void {
    const period = 1000 / this.rate;
    let due = performance.now() + delayMs;
    const tick = (): void => {
      if (this.stopped) return;
      typeInto(this.doc, this.cellIndex, makeTag(this.writer, this.sent, now()));
      this.sent++;
      due += period;
      this.timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    this.timer = setTimeout(tick, delayMs);
  }
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Peak RSS of the server; of a cluster, that of its largest replica. */
export function peakRssMb(server: ServerInfo): number | null {
  const peaks = serverProcesses(server).map((pid) => readMemory(pid)?.hwmKb ?? null);
  return peaks.includes(null) ? null : Math.max(...(peaks as number[])) / 1024;
}

/** The server's processes: a cluster's replicas, or the one process. */
export function serverProcesses(server: ServerInfo): number[] {
  return server.replicas?.map((r) => r.pid) ?? [server.pid];
}

/** What counts as the server's CPU: a cluster's replicas and its Redis, or the one process. */
export function cpuPids(server: ServerInfo): number[] {
  return server.pids ?? [server.pid];
}

/** How many replicas clients are spread over (1 for one process); client `i` goes to replica `i % count`. */
export function replicaCount(server: ServerInfo): number {
  return server.replicas?.length ?? 1;
}

export async function closeAll(clients: LoadClient[]): Promise<void> {
  // Terminate rather than close politely: a thousand close handshakes are not the workload.
  for (const c of clients) c.destroy();
  await sleep(50);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** True once every replica has the same state vector. */
export function converged(docs: Y.Doc[]): boolean {
  if (docs.length < 2) return true;
  const first = Y.encodeStateVector(docs[0]);
  return docs.every((d) => sameBytes(Y.encodeStateVector(d), first));
}
