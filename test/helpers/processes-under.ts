// Processes a test's server left behind in its temporary root. Installers and kernels lead
// process groups of their own (so the server can signal them as a whole), which means a server
// killed with -9 does not take them along: a venv build can go on writing into the root while
// the test removes it. A test's root is throwaway, so whatever still works in it is ended.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function workingIn(pid: number, root: string): boolean {
  const inside = (path: string) => path === root || path.startsWith(`${root}/`);
  try {
    if (inside(readlinkSync(`/proc/${pid}/cwd`))) return true;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => arg.includes(`${root}/`) || arg === root);
  } catch {
    return false; // gone already, or not ours to read
  }
}

/** SIGKILLs every process of this user whose working directory or arguments lie in `root`. */
export function killProcessesUnder(root: string): number {
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || !workingIn(pid, root)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // It ended between the look and the kill.
    }
  }
  return killed;
}
