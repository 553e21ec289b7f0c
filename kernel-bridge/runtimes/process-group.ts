// Signals for a whole process group: a local kernel leads its own group, so whatever it spawned
// (subprocesses, a multiprocessing pool) is interrupted and stopped with it.

/** Sends `signal` to every process in the group; false if the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: nobody left. EPERM cannot happen for a group we created.
    return false;
  }
}

/** Resolves true once no process is left in the group, or false after `timeoutMs`. */
export function waitGroupGone(pgid: number, timeoutMs: number, pollMs = 25): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (!signalGroup(pgid, 0)) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(check, pollMs);
    };
    check();
  });
}
