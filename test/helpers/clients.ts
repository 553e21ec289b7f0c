// Real collaboration clients for tests: @jupyter/ydoc's YNotebook synced through
// y-websocket's WebsocketProvider, exactly as a browser (or JupyterLab) would join.

import { YNotebook } from '@jupyter/ydoc';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import type { TandemProcess } from './tandem';

export interface NotebookClient {
  notebook: YNotebook;
  doc: Y.Doc;
  provider: WebsocketProvider;
  fileId: string;
  sessionId: string;
  /** Close events the provider saw, newest last. */
  closes: { code: number; reason: string }[];
  destroy(): void;
}

export async function openSession(server: TandemProcess, path: string, token: string | null = server.token) {
  const response = await server.api('PUT', `/api/collaboration/session/${encodeURI(path)}`, { format: 'json', type: 'notebook' }, token);
  if (response.status !== 200) throw new Error(`session for ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { fileId: string; sessionId: string; format: string; type: string };
}

export interface ConnectOptions {
  token?: string;
  /** Connect with this sessionId instead of the one the server gives. */
  sessionId?: string;
  fileId?: string;
  /** Whether to wait for the first sync. */
  waitForSync?: boolean;
  /** An existing document to sync (a client coming back with its own state). */
  notebook?: YNotebook;
}

export async function connectNotebook(server: TandemProcess, path: string, options: ConnectOptions = {}): Promise<NotebookClient> {
  const token = options.token ?? server.token;
  const session = options.fileId && options.sessionId ? { fileId: options.fileId, sessionId: options.sessionId } : await openSession(server, path, token);
  const fileId = options.fileId ?? session.fileId;
  const sessionId = options.sessionId ?? session.sessionId;
  const notebook = options.notebook ?? new YNotebook();
  const closes: { code: number; reason: string }[] = [];
  const provider = new WebsocketProvider(`${server.wsBase}/api/collaboration/room`, `json:notebook:${fileId}`, notebook.ydoc, {
    params: { sessionId, token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 300,
    // A rebuilt history must not be merged into: stop, as the browser client does.
    shouldReconnect: (event: { code: number }) => event.code !== 1003 && !(event.code >= 4400 && event.code < 4500),
  });
  provider.on('connection-close', (event) => {
    if (event) closes.push({ code: event.code, reason: event.reason });
  });
  const client: NotebookClient = {
    notebook,
    doc: notebook.ydoc,
    provider,
    fileId,
    sessionId,
    closes,
    destroy() {
      provider.destroy();
      notebook.dispose();
    },
  };
  if (options.waitForSync !== false) await waitForSync(provider);
  return client;
}

export function waitForSync(provider: WebsocketProvider, timeoutMs = 15_000): Promise<void> {
  if (provider.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('provider did not sync')), timeoutMs);
    const onSync = (synced: boolean) => {
      if (!synced) return;
      clearTimeout(timer);
      provider.off('sync', onSync);
      resolve();
    };
    provider.on('sync', onSync);
  });
}

/** Polls until `check` passes (returns without throwing), or fails with its last error. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export interface Typing {
  /** Every tag typed so far, each unique: `<editor.n>`. */
  tags: string[];
  /** Stops typing; resolves once the last keystroke is in. */
  stop(): Promise<void>;
}

/** Each editor appends tags of its own to the first cell, one every `intervalMs`, until stopped. */
export function keepTyping(editors: NotebookClient[], intervalMs: number): Typing {
  const tags: string[] = [];
  let typing = true;
  const typists = editors.map(async (editor, index) => {
    for (let n = 0; typing; n++) {
      const tag = `<${index}.${n}>`;
      tags.push(tag);
      const text = editor.notebook.getCell(0);
      text.updateSource(text.getSource().length, text.getSource().length, tag);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  });
  return {
    tags,
    async stop() {
      typing = false;
      await Promise.all(typists);
    },
  };
}

/** Waits until the editors' first cells are equal and hold every tag exactly once; gives that text. */
export function everyTagOnce(editors: NotebookClient[], tags: string[], timeoutMs = 30_000): Promise<string> {
  return eventually(() => {
    const sources = editors.map((editor) => editor.notebook.getCell(0).getSource());
    expect(new Set(sources).size).toBe(1);
    for (const tag of tags) expect(sources[0].split(tag).length - 1, tag).toBe(1);
    return sources[0];
  }, timeoutMs);
}
