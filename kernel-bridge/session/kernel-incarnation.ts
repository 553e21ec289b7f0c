// Brings one kernel up: launch it through the runtime, connect its sockets, and wait until it
// answers. A kernel that dies or hangs on the way is stopped and reported with a reason people
// can act on; a kernel that lost the race for its ports is launched again.

import { KernelConnection, type KernelConnectionOptions } from '../client/kernel-connection';
import { waitUntilReady } from '../client/kernel-ready';
import type { BridgeLogger } from '../logger';
import type { KernelInfoReplyContent } from '../protocol/content';
import type { JupyterMessage } from '../protocol/message';
import type { KernelExit, KernelRuntime, LaunchedKernel, LaunchRequest } from '../runtimes/runtime';

export interface Incarnation {
  kernel: LaunchedKernel;
  connection: KernelConnection;
  info: KernelInfoReplyContent;
  /** The kernel_info_reply as the kernel sent it. */
  infoReply: JupyterMessage;
}

export interface IncarnationOptions {
  runtime: KernelRuntime;
  request: LaunchRequest;
  connection: KernelConnectionOptions;
  logger: BridgeLogger;
  startTimeoutMs: number;
  signal: AbortSignal;
}

export class KernelExitedDuringStart extends Error {
  constructor(readonly exit: KernelExit) {
    super(`The kernel exited while starting (${describeExit(exit)})${lastLine(exit.stderrTail)}`);
    this.name = 'KernelExitedDuringStart';
  }
}

const MAX_ATTEMPTS = 3;
const KERNEL_INFO_RESEND_MS = 500;

export async function startIncarnation(options: IncarnationOptions): Promise<Incarnation> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launchOnce(options);
    } catch (error) {
      const portTaken = error instanceof KernelExitedDuringStart && /address already in use/i.test(error.exit.stderrTail);
      if (!portTaken || attempt >= MAX_ATTEMPTS || options.signal.aborted) throw error;
      options.logger.info({ attempt }, 'kernel port was taken; launching again');
    }
  }
}

async function launchOnce(options: IncarnationOptions): Promise<Incarnation> {
  const kernel = await options.runtime.launch({ ...options.request, signal: options.signal });
  const connection = new KernelConnection(kernel.connection, options.connection);
  const waiting = new AbortController();
  const onAbort = (): void => waiting.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort);
  void kernel.exited.then((exit) => waiting.abort(new KernelExitedDuringStart(exit)));
  try {
    const { info, reply } = await waitUntilReady(connection, {
      signal: waiting.signal,
      timeoutMs: options.startTimeoutMs,
      resendIntervalMs: KERNEL_INFO_RESEND_MS,
      channel: kernel.reattached ? 'control' : 'shell',
    });
    return { kernel, connection, info, infoReply: reply };
  } catch (error) {
    connection.close();
    await kernel.kill();
    throw error;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    // Once the kernel is up, a later exit must not abort a wait that is already over.
    waiting.abort();
  }
}

export function describeExit(exit: KernelExit): string {
  if (exit.reason) return exit.reason;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

function lastLine(text: string): string {
  const line = text.trimEnd().split('\n').at(-1)?.trim();
  return line ? `: ${line}` : '';
}
