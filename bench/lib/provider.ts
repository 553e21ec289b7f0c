// The real client stack (y-websocket's WebsocketProvider over a @jupyter/ydoc YNotebook), for
// checks that the cheap load client and the chaos clients behave like what users run.

import { YNotebook } from '@jupyter/ydoc';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import type { ProviderTarget } from './rooms.js';

export interface RealClient {
  notebook: YNotebook;
  provider: WebsocketProvider;
  destroy(): void;
}

export function realClient(target: ProviderTarget, opts: { connect?: boolean; maxBackoffTime?: number } = {}): RealClient {
  const notebook = new YNotebook();
  // In Node, each provider adds a process 'exit' listener and removes it on destroy: a process
  // holding a dozen clients is not leaking listeners, so Node need not warn that it might be.
  process.setMaxListeners(Math.max(process.getMaxListeners(), process.listenerCount('exit') + 1));
  const provider = new WebsocketProvider(target.serverUrl, target.roomName, notebook.ydoc, {
    params: target.params,
    // ws stands in for the browser's WebSocket; the types differ only in DOM-only members.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    // Node has BroadcastChannel: without this, clients in one process would sync through it
    // and bypass the server under test.
    disableBc: true,
    connect: opts.connect ?? true,
    maxBackoffTime: opts.maxBackoffTime ?? 2500,
  });
  return {
    notebook,
    provider,
    destroy() {
      provider.destroy();
      notebook.dispose();
    },
  };
}

/** Resolves once the provider has completed a sync with the server, or false on timeout. */
export function whenSynced(provider: WebsocketProvider, timeoutMs: number): Promise<boolean> {
  if (provider.synced) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      provider.off('sync', onSync);
      resolve(false);
    }, timeoutMs);
    const onSync = (state: boolean): void => {
      if (!state) return;
      clearTimeout(timer);
      provider.off('sync', onSync);
      resolve(true);
    };
    provider.on('sync', onSync);
  });
}
