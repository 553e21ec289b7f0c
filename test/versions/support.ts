// What the version-history tests share: a real server that makes automatic versions quickly,
// real y-websocket clients, and editor and viewer links to one notebook.

import { afterEach, expect } from 'vitest';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { makeNotebook, type SimpleCell } from '../helpers/notebooks';
import { type Json, startTandem, type TandemProcess } from '../helpers/tandem';

const servers: TandemProcess[] = [];
const clients: NotebookClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A server whose automatic versions come after a 0.3 s pause, at most one per 0.5 s. */
export async function startVersioned(): Promise<TandemProcess> {
  const server = await startTandem({ args: ['--version-pause', '0.3', '--version-interval', '0.5'] });
  servers.push(server);
  return server;
}

export async function seed(server: TandemProcess, path: string, cells: SimpleCell[]): Promise<void> {
  const response = await server.api('PUT', `/api/contents/${path}`, { type: 'notebook', format: 'json', content: makeNotebook(cells) });
  expect(response.status).toBe(201);
}

export async function connect(server: TandemProcess, path: string, token?: string): Promise<NotebookClient> {
  const client = await connectNotebook(server, path, token ? { token } : {});
  clients.push(client);
  return client;
}

/** A share link's token for the notebook at `path`, and the username the server gives it. */
export async function shareLink(server: TandemProcess, path: string, role: 'viewer' | 'editor'): Promise<{ token: string; username: string }> {
  const share = await (await server.api('POST', '/api/shares', { path, role })).json();
  const me = await (await server.api('GET', '/api/me', undefined, share.token)).json();
  return { token: share.token as string, username: me.identity.username as string };
}

export async function versionsOf(server: TandemProcess, fileId: string, token?: string): Promise<Json[]> {
  const response = await server.api('GET', `/api/notebooks/${fileId}/versions`, undefined, token);
  expect(response.status).toBe(200);
  return response.json();
}

/** Waits for versions past `count`; returns the list, newest first. */
export function moreVersions(server: TandemProcess, fileId: string, count: number): Promise<Json[]> {
  return eventually(async () => {
    const versions = await versionsOf(server, fileId);
    expect(versions.length).toBeGreaterThan(count);
    return versions;
  });
}

export async function saveVersion(server: TandemProcess, fileId: string, label?: string, token?: string): Promise<string> {
  const response = await server.api('POST', `/api/notebooks/${fileId}/versions`, label === undefined ? {} : { label }, token);
  expect(response.status).toBe(201);
  return (await response.json()).id as string;
}

export function sources(client: NotebookClient): string[] {
  return client.notebook.cells.map((cell) => cell.getSource());
}
