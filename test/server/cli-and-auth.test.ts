import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { openRaw, roomUrl } from '../helpers/raw-socket';
import { removeRoot, startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';

let server: TandemProcess;
beforeAll(async () => {
  server = await startTandem();
  const response = await server.api('PUT', '/api/contents/a.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 'c1', source: '1 + 1' }]),
  });
  expect(response.status).toBe(201);
});
afterAll(async () => {
  await server.stop();
});

test('without a token the server makes one and prints the sign-in URL with the port it picked', async () => {
  const generated = await startTandem({ token: '' });
  try {
    const match = /Tandem is running at http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48})\n/.exec(generated.output());
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBe(generated.port);
    expect((await generated.api('GET', '/api/me', undefined, match![2])).status).toBe(200);
    expect((await fetch(`${generated.base}/api/status`)).status).toBe(200);
  } finally {
    await generated.stop();
    removeRoot(generated.root);
  }
});

test('settings can come from TANDEM_* environment variables', async () => {
  const root = tempRoot();
  const fromEnv = await startTandem({ env: { TANDEM_TOKEN: 'env-token-123456' }, token: '', root });
  try {
    expect(fromEnv.output()).toContain('?token=env-token-123456');
    expect((await fromEnv.api('GET', '/api/contents', undefined, 'env-token-123456')).status).toBe(200);
  } finally {
    await fromEnv.stop();
    removeRoot(root);
  }
});

test('requests without a valid token are refused', async () => {
  expect((await server.api('GET', '/api/me', undefined, null)).status).toBe(401);
  expect((await server.api('GET', '/api/contents', undefined, 'wrong-token')).status).toBe(401);
  expect((await fetch(`${server.base}/api/contents?token=${server.token}`)).status).toBe(200);
  const me = await (await server.api('GET', '/api/me')).json();
  // The owner is named after the system user running the server, as in Jupyter Server.
  const owner = userInfo().username;
  expect(me.identity).toMatchObject({ name: owner, display_name: owner, initials: owner[0].toUpperCase() });
  expect(me.identity.color).toMatch(/^#[0-9a-f]{6}$/);
  expect(me.permissions.contents).toContain('write');
  const asked = await (await server.api('GET', `/api/me?permissions=${encodeURIComponent('{"contents":["read","nope"]}')}`)).json();
  expect(asked.permissions).toEqual({ contents: ['read'] });
});

test('a browser signs in with the token in the URL and then uses an HttpOnly session cookie', async () => {
  const page = await fetch(`${server.base}/?token=${server.token}`, { redirect: 'manual' });
  expect(page.status).toBe(200);
  const cookie = page.headers.get('set-cookie')!;
  expect(cookie).toMatch(/^tandem-session=/);
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Lax/i);
  expect(cookie).not.toContain(server.token);
  const session = cookie.split(';')[0];
  const me = await fetch(`${server.base}/api/me`, { headers: { cookie: session } });
  expect(me.status).toBe(200);
  // Each browser session is its own person, even on the same token; the owner's are named after
  // the system user until they choose a name.
  expect(((await me.json()) as { identity: { name: string } }).identity.name).toBe(userInfo().username);
  const renamed = await fetch(`${server.base}/api/me`, {
    method: 'PATCH',
    headers: { cookie: session, 'content-type': 'application/json', origin: server.base },
    body: JSON.stringify({ name: 'Ada Lovelace' }),
  });
  expect(renamed.status).toBe(200);
  expect(((await renamed.json()) as { identity: object }).identity).toMatchObject({ name: 'Ada Lovelace', initials: 'AL' });
  // A tampered cookie is worth nothing.
  const forged = session.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  expect((await fetch(`${server.base}/api/me`, { headers: { cookie: forged } })).status).toBe(401);
});

test('cookie-authenticated writes from another origin are refused', async () => {
  const page = await fetch(`${server.base}/?token=${server.token}`);
  const session = page.headers.get('set-cookie')!.split(';')[0];
  const post = (origin?: string) =>
    fetch(`${server.base}/api/contents`, {
      method: 'POST',
      headers: { cookie: session, 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      body: JSON.stringify({ type: 'notebook' }),
    });
  expect((await post('http://evil.example')).status).toBe(403);
  expect((await post()).status).toBe(403);
  expect((await post(server.base)).status).toBe(201);
});

test('a room socket from a foreign browser origin is refused', async () => {
  const { fileId, sessionId } = await openSession(server, 'a.ipynb');
  await expect(openRaw(roomUrl(server, fileId, sessionId), { origin: 'http://evil.example' })).rejects.toThrow(/403/);
  await expect(openRaw(roomUrl(server, fileId, sessionId, null))).rejects.toThrow(/401/);
  const ok = await openRaw(roomUrl(server, fileId, sessionId), { origin: server.base });
  ok.close();
});

test('share links reach only their own notebook, and revoking one closes its sockets', async () => {
  const created = await (await server.api('POST', '/api/shares', { path: 'a.ipynb', role: 'editor' })).json();
  const editor = await connectNotebook(server, 'a.ipynb', { token: created.token });
  const list = await (await server.api('GET', '/api/shares?path=a.ipynb')).json();
  expect(list.map((s: { id: string }) => s.id)).toContain(created.id);
  expect(JSON.stringify(list)).not.toContain(created.token);
  expect((await server.api('DELETE', `/api/shares/${created.id}`)).status).toBe(204);
  await eventually(() => expect(editor.closes.some((c) => c.code === 4403 && JSON.parse(c.reason).reason === 'revoked')).toBe(true));
  expect((await server.api('GET', '/api/contents/a.ipynb', undefined, created.token)).status).toBe(401);
  editor.destroy();
});

test('logs never contain a token', async () => {
  const share = await (await server.api('POST', '/api/shares', { path: 'a.ipynb', role: 'viewer' })).json();
  await fetch(`${server.base}/api/contents/missing.ipynb?token=${server.token}`);
  await fetch(`${server.base}/api/me?token=${share.token}`);
  await fetch(`${server.base}/api/me`, { headers: { authorization: 'token not-a-real-token-but-secret' } });
  const logs = server.logs();
  expect(logs.length).toBeGreaterThan(0);
  expect(logs).not.toContain(server.token);
  expect(logs).not.toContain(share.token);
  expect(logs).not.toContain('not-a-real-token-but-secret');
});

test('SIGTERM saves open notebooks before the server exits', async () => {
  const own = await startTandem();
  try {
    await own.api('PUT', '/api/contents/b.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'x', source: 'draft' }]) });
    const client = await connectNotebook(own, 'b.ipynb');
    client.notebook.getCell(0).updateSource(5, 5, ' and final');
    // The server has the edit in its room (an open notebook's GET reads the live document)...
    await eventually(async () => {
      const model = await (await own.api('GET', '/api/contents/b.ipynb?content=1')).json();
      expect([model.content.cells[0].source].flat().join('')).toBe('draft and final');
    });
    // ...and SIGTERM writes it to the file before the process exits.
    expect(await own.stop('SIGTERM')).toBe(0);
    client.destroy();
    const saved = JSON.parse(readFileSync(join(own.root, 'b.ipynb'), 'utf8'));
    expect(saved.cells[0].source.join('')).toBe('draft and final');
  } finally {
    await own.stop();
    removeRoot(own.root);
  }
});
