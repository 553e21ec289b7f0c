// Waits until a freshly connected kernel can be used. ipykernel sends no welcome on iopub, and a
// Subscriber only receives what is published after its subscription reaches the kernel, so we
// keep asking kernel_info until a status message arrives on iopub: from then on, no output of an
// execute request can be lost. The kernel_info_reply also tells us the kernel's language.

import type { KernelInfoReplyContent } from '../protocol/content';
import type { JupyterMessage } from '../protocol/message';
import type { IncomingMessage, KernelConnection } from './kernel-connection';

export interface ReadyOptions {
  signal: AbortSignal;
  timeoutMs: number;
  /** Asks again this often while nothing answers (a request may be lost to a kernel restart). */
  resendIntervalMs: number;
  /**
   * Where to ask: shell by default, which also shows the shell is served; control for a kernel
   * that may be busy (reattached to mid-run), whose shell answers only once the run is over.
   */
  channel?: 'shell' | 'control';
}

export class KernelStartTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`The kernel did not answer within ${Math.round(timeoutMs / 1000)} s of starting`);
    this.name = 'KernelStartTimeout';
  }
}

export interface KernelReady {
  info: KernelInfoReplyContent;
  /** The whole reply, kept so Jupyter clients can be answered from it (header.session included). */
  reply: JupyterMessage;
}

export function waitUntilReady(connection: KernelConnection, options: ReadyOptions): Promise<KernelReady> {
  return new Promise((resolve, reject) => {
    let info: KernelInfoReplyContent | undefined;
    let reply: JupyterMessage | undefined;
    let iopubHeard = false;

    const channel = options.channel ?? 'shell';
    const ask = (): void => {
      connection.send(channel, 'kernel_info_request', {});
    };
    const onMessage = ({ channel: from, typed, message }: IncomingMessage): void => {
      if (from === 'iopub' && typed?.msgType === 'status') iopubHeard = true;
      if (from === channel && typed?.msgType === 'kernel_info_reply') {
        info = typed.content;
        reply = message;
        // Shell is up but iopub may not be subscribed yet: ask again at once. Asking only after
        // each reply keeps the kernel from having a backlog of probes to answer before the
        // first execute_request.
        if (!iopubHeard) ask();
      }
      if (info && reply && iopubHeard) settle(() => resolve({ info: info as KernelInfoReplyContent, reply: reply as JupyterMessage }));
    };
    const onAbort = (): void => settle(() => reject(options.signal.reason));

    const resend = setInterval(ask, options.resendIntervalMs);
    const timeout = setTimeout(() => settle(() => reject(new KernelStartTimeout(options.timeoutMs))), options.timeoutMs);
    function settle(done: () => void): void {
      clearInterval(resend);
      clearTimeout(timeout);
      connection.off('message', onMessage);
      options.signal.removeEventListener('abort', onAbort);
      done();
    }

    if (options.signal.aborted) return settle(() => reject(options.signal.reason));
    options.signal.addEventListener('abort', onAbort);
    connection.on('message', onMessage);
    ask();
  });
}
