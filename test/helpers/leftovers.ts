// The last line of cleanup: processes that tests started and did not stop (a test that failed
// half way, a harness that threw before its own `finally`). Each test file's worker stops its
// descendants when the file ends, and the run stops everything that carries its marker in the
// environment, which every process a test starts inherits: servers, builds, databases,
// browsers, and kernels, whose parent may be gone already. Linux only (/proc); elsewhere these
// find nothing.

import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Not TANDEM_*: kernels are not given those, and kernels are what most often outlive a server. */
export const RUN_MARKER = 'TANDEMTEST_RUN';

interface ProcessInfo {
  pid: number;
  ppid: number;
}

function pids(): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function info(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself hold spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** The process's command line (its first 160 characters), or '?' once it is gone. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160);
  } catch {
    return '?';
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `root` (children, their children...). */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const p = info(pid);
    if (!p) continue;
    children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Processes whose environment carries RUN_MARKER=value. */
export function markedWith(value: string): number[] {
  const needle = `${RUN_MARKER}=${value}`;
  return pids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      // Vitest's own workers inherit the marker too, and may still be exiting as the run ends.
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('/node_modules/vitest/')) return false;
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(needle);
    } catch {
      return false;
    }
  });
}

/**
 * Processes whose working directory or arguments lie in `dir`: what a test's server left working
 * in its temporary root. Installers and kernels lead process groups of their own (so the server
 * can signal each as a whole), so a server killed with -9 does not take them along, and a venv
 * build can go on writing into the root while the test removes it.
 */
export function workingIn(dir: string): number[] {
  const inside = (path: string) => path === dir || path.startsWith(`${dir}/`);
  return pids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      if (inside(readlinkSync(`/proc/${pid}/cwd`))) return true;
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some(inside);
    } catch {
      return false; // Gone already, or not ours to read.
    }
  });
}

/**
 * SIGTERM, then SIGKILL for what is still there after `graceMs`. Resolves with a line for each
 * process that had to be stopped, so a leak is reported, not just cleaned up.
 */
export async function stopProcesses(targets: number[], graceMs = 3000): Promise<string[]> {
  const stopped: string[] = [];
  for (const pid of targets) {
    const command = commandOf(pid);
    try {
      process.kill(pid, 'SIGTERM');
      stopped.push(`${pid} ${command}`);
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + graceMs;
  while (targets.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of targets.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return stopped;
}

/**
 * Tandem servers this process started and did not stop, for a file whose harness starts them
 * where the test cannot reach them (bench/fuzz). A server given SIGTERM stops its own kernels.
 */
export function stopTandemServersBelow(root = process.pid, graceMs = 10_000): Promise<string[]> {
  const servers = descendantsOf(root).filter((pid) => commandOf(pid).includes('dist/server/cli.mjs'));
  return stopProcesses(servers, graceMs);
}
