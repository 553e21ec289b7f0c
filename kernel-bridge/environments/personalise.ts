// Makes a pooled kernel the notebook's own when it is claimed. A running process's working
// directory and environment cannot be changed from outside, so the kernel changes them itself,
// in a silent execute (no execution count, no history, no output): chdir to the notebook's
// folder, set the notebook's environment variables, and put that folder (and PYTHONPATH, which
// Python reads only at startup) where they would be on sys.path in a kernel started for the
// notebook, so its own modules import the same way.

import type { IncomingMessage, KernelConnection } from '../client/kernel-connection';
import { parentMsgId } from '../protocol/message';
import { hiddenExecuteRequest } from '../protocol/requests';

export interface Personalisation {
  cwd: string;
  env: Record<string, string>;
}

export class PersonalisationFailed extends Error {
  constructor(reason: string) {
    super(`Could not hand a pooled kernel to the notebook: ${reason}`);
    this.name = 'PersonalisationFailed';
  }
}

export function personalisationCode(target: Personalisation, poolCwd: string): string {
  // A JSON string is a valid Python string literal; json.loads keeps every character exact.
  const data = JSON.stringify(JSON.stringify({ cwd: target.cwd, env: target.env, pool: poolCwd }));
  return [
    'def __tandem_claim(data):',
    '    import json, os, sys',
    '    claim = json.loads(data)',
    '    os.environ.update(claim["env"])',
    '    os.chdir(claim["cwd"])',
    '    sys.path[:] = [claim["cwd"] if entry == claim["pool"] else entry for entry in sys.path]',
    '    # PYTHONPATH is read once, at startup: add its entries where Python would have put them.',
    '    extra = [p for p in claim["env"].get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]',
    '    at = next((i for i, entry in enumerate(sys.path) if entry not in ("", claim["cwd"])), len(sys.path))',
    '    sys.path[at:at] = extra',
    '    from IPython import get_ipython',
    '    shell = get_ipython()',
    '    if shell is not None:',
    '        shell.user_ns["_dh"] = [claim["cwd"]]',
    `__tandem_claim(${data})`,
    'del __tandem_claim',
  ].join('\n');
}

/** Runs the personalisation in the kernel; rejects if it fails or gets no reply in time. */
export function personalise(connection: KernelConnection, target: Personalisation, poolCwd: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const msgId = connection.send('shell', 'execute_request', hiddenExecuteRequest(personalisationCode(target, poolCwd)));
    const timer = setTimeout(() => finish(new PersonalisationFailed(`no reply within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = ({ channel, message, typed }: IncomingMessage): void => {
      if (channel !== 'shell' || parentMsgId(message) !== msgId || typed?.msgType !== 'execute_reply') return;
      const reply = typed.content;
      finish(reply.status === 'ok' ? undefined : new PersonalisationFailed(`${reply.ename ?? reply.status}: ${reply.evalue ?? ''}`));
    };
    function finish(error: Error | undefined): void {
      clearTimeout(timer);
      connection.off('message', onMessage);
      if (error) reject(error);
      else resolve();
    }
    connection.on('message', onMessage);
  });
}
