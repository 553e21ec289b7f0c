// Reads a process's memory and CPU from /proc (Linux), so every server is measured the same way
// from outside, whatever language it is written in.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface MemoryKb {
  /** Resident set size now. */
  rssKb: number;
  /** Peak resident set size since the process started (VmHWM). */
  hwmKb: number;
}

export function readMemory(pid: number): MemoryKb | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(/\s(\d+) kB/.exec(status.split(`\n${name}:`)[1] ?? '')?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return null; // The process is gone.
  }
}

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The fields of /proc/PID/stat after the command name, which may hold spaces or parentheses. */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // The process is gone.
  }
}

/** User plus system CPU time the process has used, in seconds (threads included). */
export function readCpuSeconds(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / clockTicks() : null;
}

/** CPU seconds of children this process has waited for (cutime + cstime): a finished load process and its kernels. */
export function reapedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return fields ? (Number(fields[13]) + Number(fields[14])) / clockTicks() : 0;
}

/**
 * CPU seconds used by a process and everything below it: its own time, its reaped children's,
 * and that of its live descendants (a server's kernels). A kernel that exits between two
 * readings moves from the live sum into its parent's reaped total, so differences stay right.
 */
export function readTreeCpuSeconds(pid: number): number | null {
  const own = statFields(pid);
  if (!own) return null;
  const children = new Map<number, number[]>();
  const stats = new Map<number, string[]>();
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child)) continue;
    const fields = statFields(child);
    if (!fields) continue;
    stats.set(child, fields);
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const total = (f: string[]): number => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  let ticks = total(own);
  const queue = [...(children.get(pid) ?? [])];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const f = stats.get(next);
    if (f) ticks += total(f);
    queue.push(...(children.get(next) ?? []));
  }
  return ticks / clockTicks();
}

/** Polls VmRSS every `intervalMs`, keeping the maximum: peak memory within one phase. */
export class RssWatcher {
  peakKb = 0;
  private timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    intervalMs = 25,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }
  private sample(): void {
    const m = readMemory(this.pid);
    if (m && m.rssKb > this.peakKb) this.peakKb = m.rssKb;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakKb;
  }
}

/** CPU used by a process (or the processes of a cluster, together) over a window, in cores (1.0 = one core busy all the time). */
export class CpuWindow {
  private readonly pids: number[];
  private readonly startCpu: number;
  private readonly startAt = performance.now();
  constructor(pid: number | number[]) {
    this.pids = typeof pid === 'number' ? [pid] : pid;
    this.startCpu = this.read() ?? 0;
  }
  private read(): number | null {
    let total = 0;
    for (const pid of this.pids) {
      const cpu = readCpuSeconds(pid);
      if (cpu === null) return null;
      total += cpu;
    }
    return total;
  }
  cores(): number | null {
    const cpu = this.read();
    if (cpu === null) return null;
    return (cpu - this.startCpu) / ((performance.now() - this.startAt) / 1000);
  }
}

/**
 * The lowest RSS over the last half of `idleMs` of idle (at least `windowMs`), read every 250 ms.
 * A garbage-collected runtime gives its heap's headroom back at a moment of its own choosing
 * (V8's memory reducer, some seconds into the idle, and not always the young generation), so a
 * reading at a fixed moment swings by tens of MB between runs; the lowest one over a window is
 * what the load itself holds, read the same way for every server.
 */
export async function idleRssKb(pid: number, idleMs: number, windowMs: number): Promise<number | null> {
  const window = Math.max(windowMs, idleMs / 2);
  if (idleMs > window) await new Promise((r) => setTimeout(r, idleMs - window));
  let lowest: number | null = null;
  const end = performance.now() + window;
  while (performance.now() < end) {
    const m = readMemory(pid);
    if (m) lowest = lowest === null ? m.rssKb : Math.min(lowest, m.rssKb);
    await new Promise((r) => setTimeout(r, 250));
  }
  return lowest;
}

/** Median of a few RSS readings spread over `ms`, to smooth out allocator noise. */
export async function settledRssKb(pid: number, ms = 1500, samples = 5): Promise<number | null> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, ms / samples));
    const m = readMemory(pid);
    if (m) values.push(m.rssKb);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
}

/** CPU seconds the whole machine has spent busy (not idle or waiting on I/O), all cores. */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return (user + nice + system + irq + softirq + steal) / clockTicks();
}
