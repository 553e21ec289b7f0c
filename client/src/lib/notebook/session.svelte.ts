// One open notebook: its Y.Doc (in @jupyter/ydoc's YNotebook schema), the room socket, and
// the connection state the UI shows. Reconnection is y-websocket's; we only decide when it
// must stop (unknown_session) and when the browser itself says it is offline.
import { YNotebook } from '@jupyter/ydoc';
import * as decoding from 'lib0/decoding';
import { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { type CollabSession, openSession, roomBaseUrl } from '../api/collaboration';
import { ApiError } from '../api/http';
import { SaveTracker } from './save-state.svelte';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'reload-required';

/** Origin of every local structural change, so our undo manager tracks only our own edits. */
export const LOCAL_ORIGIN = Symbol('tandem-local-edit');

const MESSAGE_AUTH = 2;

function isUnknownSession(event: CloseEvent | null | undefined): boolean {
  if (event?.code !== 1003) return false;
  try {
    const reason: unknown = JSON.parse(event.reason);
    return !!reason && typeof reason === 'object' && (reason as { reason?: unknown }).reason === 'unknown_session';
  } catch {
    return false;
  }
}

/** A close the client will not retry, in words; the server's JSON reason wins if it has one. */
function describeClose(code: number, reason: string): string {
  try {
    const parsed: unknown = JSON.parse(reason);
    const message = (parsed as { message?: unknown } | null)?.message;
    if (typeof message === 'string' && message) return message;
  } catch {
    if (reason) return reason;
  }
  if (code === 4401 || code === 4403) return 'You no longer have access to this notebook.';
  if (code === 4404) return 'This notebook no longer exists.';
  return `The server closed the connection (code ${code}).`;
}

/** Why the server no longer lets us in, and what to do about it. */
function accessEndedMessage(err: ApiError): string {
  if (err.status === 404) return 'This notebook no longer exists.';
  // The server says so when the owner's token was rotated: its message names the way back in.
  if (err.reason === 'token_rotated') return err.message;
  if (err.status === 403) return 'Your access to this notebook has ended: the link you opened it with was revoked or no longer reaches it. Ask for a new link.';
  return 'Your access to this notebook has ended: the link you opened it with was revoked, or your sign-in expired. Open the link again, or ask for a new one.';
}

export class NotebookSession {
  readonly ynotebook: YNotebook;
  readonly ydoc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly fileId: string;
  readonly sessionId: string;
  readonly saves: SaveTracker;

  status = $state<ConnectionStatus>('connecting');
  /** True once the first sync with the server completed; the document is complete. */
  synced = $state(false);
  /** Local changes made since the connection dropped: they sync on reconnect. */
  offlineEdits = $state(0);
  /** Set when the server refused a write (a viewer's client, or a role that changed). */
  permissionDenied = $state<string | null>(null);
  path = $state('');
  /** Set when the server closed the room for good (not unknown_session): why, for people. */
  closedReason = $state<string | null>(null);

  #onOffline = (): void => {
    // The browser knows the network is gone before the socket times out: show it at once
    // and stop the socket, so that reconnecting starts cleanly when we are back.
    this.provider.disconnect();
    this.status = 'disconnected';
  };
  #onOnline = (): void => {
    if (this.status !== 'reload-required') this.provider.connect();
  };
  /** The server sets `state.path` when the file is renamed (by anyone): follow it. */
  #onState = (): void => {
    const path = this.ynotebook.ystate.get('path');
    if (typeof path === 'string' && path !== '' && path !== this.path) this.path = path;
  };
  #onUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin !== this.provider && this.status !== 'connected') this.offlineEdits += 1;
  };

  private constructor(path: string, info: CollabSession) {
    this.path = path;
    this.fileId = info.fileId;
    this.sessionId = info.sessionId;
    this.ynotebook = new YNotebook();
    this.ydoc = this.ynotebook.ydoc;
    this.provider = new WebsocketProvider(roomBaseUrl(), `json:notebook:${info.fileId}`, this.ydoc, {
      params: { sessionId: info.sessionId },
      // One awareness per document: the YNotebook already made one for this client id.
      awareness: this.ynotebook.awareness,
      // A second tab of the same browser could be a viewer: never relay through it.
      disableBc: true,
      maxBackoffTime: 5000,
      shouldReconnect: (event: CloseEvent) => !isUnknownSession(event) && !(event.code >= 4400 && event.code < 4500),
    });
    this.provider.messageHandlers[MESSAGE_AUTH] = (_encoder, decoder) => {
      // y-protocols auth: 0 = permission denied, followed by a reason string.
      const type = decoding.readVarUint(decoder);
      if (type === 0) this.permissionDenied = decoding.readVarString(decoder) || 'Permission denied';
    };
    this.provider.on('status', ({ status }) => {
      if (this.status === 'reload-required') return;
      this.status = status;
    });
    this.provider.on('sync', (isSynced: boolean) => {
      if (isSynced) {
        this.synced = true;
        this.offlineEdits = 0;
      }
    });
    this.provider.on('connection-close', (event) => {
      if (isUnknownSession(event)) {
        this.status = 'reload-required';
        this.provider.disconnect();
        return;
      }
      this.#failures += 1;
      if (this.#failures >= 2) void this.#checkAccess();
    });
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') this.#failures = 0;
    });
    this.provider.on('closed', ({ code, reason }) => {
      if (this.status === 'reload-required') return;
      this.closedReason = describeClose(code, reason);
    });
    this.saves = new SaveTracker(this.provider, this.ydoc);
    this.ydoc.on('update', this.#onUpdate);
    this.ynotebook.ystate.observe(this.#onState);
    window.addEventListener('offline', this.#onOffline);
    window.addEventListener('online', this.#onOnline);
  }

  #failures = 0;
  #checking = false;

  /**
   * A socket that keeps closing may mean we lost access (a revoked link, an expired session)
   * or the notebook is gone: the session endpoint says which, in words. If it answers, or
   * the server is unreachable, we keep reconnecting.
   */
  async #checkAccess(): Promise<void> {
    if (this.#checking || this.closedReason) return;
    this.#checking = true;
    try {
      await openSession(this.path);
    } catch (err) {
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) {
        this.closedReason = accessEndedMessage(err);
        this.provider.disconnect();
        this.status = 'disconnected';
      }
    } finally {
      this.#checking = false;
    }
  }

  static async open(path: string): Promise<NotebookSession> {
    const info = await openSession(path);
    return new NotebookSession(path, info);
  }

  get awareness() {
    return this.provider.awareness;
  }

  /**
   * Resolves once everything we sent has left the browser, so a run requested right after
   * typing reaches the server after the keystrokes that preceded it (best effort: the
   * socket and the HTTP request are separate connections).
   */
  async flush(timeoutMs = 1000): Promise<void> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      const ws = this.provider.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Opens a new connection, so the server sees who we are now (after a name change). */
  reconnect(): void {
    if (this.status === 'reload-required') return;
    this.provider.disconnect();
    this.provider.connect();
  }

  destroy(): void {
    window.removeEventListener('offline', this.#onOffline);
    window.removeEventListener('online', this.#onOnline);
    this.ydoc.off('update', this.#onUpdate);
    this.ynotebook.ystate.unobserve(this.#onState);
    this.saves.destroy();
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    this.ynotebook.dispose();
  }
}
