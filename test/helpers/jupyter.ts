// Jupyter clients pointed at a Tandem server: @jupyterlab/services as JupyterLab and VS Code
// use it, over `ws` in Node.

import { KernelManager, KernelSpecManager, ServerConnection, SessionManager } from '@jupyterlab/services';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';
import WebSocket from 'ws';
import type { TandemProcess } from './tandem';

export function jupyterSettings(server: TandemProcess, token: string = server.token): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: `${server.base}/`,
    wsUrl: `${server.wsBase}/`,
    token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
}

export interface JupyterClients {
  kernels: KernelManager;
  sessions: SessionManager;
  dispose(): void;
}

export function jupyterClients(server: TandemProcess, token: string = server.token): JupyterClients {
  const serverSettings = jupyterSettings(server, token);
  const kernels = new KernelManager({ serverSettings });
  const sessions = new SessionManager({ serverSettings, kernelManager: kernels });
  return {
    kernels,
    sessions,
    dispose() {
      sessions.dispose();
      kernels.dispose();
    },
  };
}

export { KernelSpecManager };

/** What one execute_request brought back: its iopub messages and its reply. */
export interface ExecuteResult {
  reply: KernelMessage.IExecuteReplyMsg;
  iopub: KernelMessage.IIOPubMessage[];
}

export async function run(kernel: Kernel.IKernelConnection, code: string, metadata: JSONObject = {}): Promise<ExecuteResult> {
  const iopub: KernelMessage.IIOPubMessage[] = [];
  const future = kernel.requestExecute({ code, stop_on_error: false }, true, metadata);
  future.onIOPub = (message) => {
    iopub.push(message);
  };
  const reply = await future.done;
  return { reply: reply as KernelMessage.IExecuteReplyMsg, iopub };
}

/** The text a run printed to stdout. */
export function stdout(result: ExecuteResult): string {
  return result.iopub
    .filter((m) => m.header.msg_type === 'stream')
    .map((m) => (m.content as { text: string }).text)
    .join('');
}
