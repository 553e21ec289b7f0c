// The server token is kept in the state directory across restarts, so the owner's printed link
// and open browser sessions keep working; rotating it refuses the old ones with a message that
// says what happened. Each test has its own root; no kernels are started (--warm-pool 0).

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { removeRoot, startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';

const LIGHT = ['--warm-pool', '0'];
const started: TandemProcess[] = [];

async function start(changes: Parameters<TandemProcess['restart']>[0] = {}, from?: TandemProcess): Promise<TandemProcess> {
  if (from) await from.stop();
  const server = from ? await from.restart(changes) : await startTandem({ token: '', args: LIGHT, ...changes });
  started.push(server);
  return server;
}

afterEach(async () => {
  const servers = started.splice(0);
  for (const server of servers) await server.stop();
  for (const root of new Set(servers.map((s) => s.root))) removeRoot(root);
});

/** Signs a browser in the way the printed link does, and returns its session cookie. */
async function signIn(server: TandemProcess, token: string): Promise<string> {
  const page = await fetch(`${server.base}/?token=${token}`, { redirect: 'manual' });
  expect(page.status).toBe(200);
  return page.headers.get('set-cookie')!.split(';')[0];
}

function withCookie(server: TandemProcess, cookie: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.base}${path}`, { ...init, headers: { cookie, origin: server.base, 'content-type': 'application/json', ...init.headers } });
}

async function refusal(response: Response): Promise<{ status: number; reason: string; message: string }> {
  const body = (await response.json()) as { reason: string; message: string };
  return { status: response.status, reason: body.reason, message: body.message };
}

test("a restarted server keeps its token: the owner's old link and browser session still work", async () => {
  const first = await start();
  const token = first.token;
  const cookie = await signIn(first, token);
  const me = (await (await withCookie(first, cookie, '/api/me')).json()) as { identity: { username: string } };

  const second = await start({ token: '' }, first);
  expect(second.port).toBe(first.port);
  expect(second.token).toBe(token);
  expect(second.output()).toContain(`/?token=${token}\n`);
  expect((await fetch(`${second.base}/api/contents?token=${token}`)).status).toBe(200);
  const again = await withCookie(second, cookie, '/api/me');
  expect(again.status).toBe(200);
  // The same browser session: the same person, not a new anonymous one.
  expect(((await again.json()) as typeof me).identity.username).toBe(me.identity.username);

  const file = join(second.stateDir, 'server-token.json');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(second.logs()).not.toContain(token);
});

test('a token given with --token wins over the kept one, and is not written down', async () => {
  const first = await start();
  const kept = first.token;
  const given = await start({ token: 'given-token-0123456789' }, first);
  expect((await given.api('GET', '/api/me')).status).toBe(200);
  expect((await given.api('GET', '/api/me', undefined, kept)).status).toBe(401);
  expect(readFileSync(join(given.stateDir, 'server-token.json'), 'utf8')).not.toContain('given-token');
  const back = await start({ token: '' }, given);
  expect(back.token).toBe(kept);
});

test('rotating the token refuses the old link and sign-in with a clear message, and the new token works', async () => {
  const first = await start();
  const old = first.token;
  const cookie = await signIn(first, old);
  await first.api('PUT', '/api/contents/a.ipynb', { type: 'notebook', format: 'json', content: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] } });
  const share = (await (await first.api('POST', '/api/shares', { path: 'a.ipynb', role: 'viewer' })).json()).token as string;

  const rotated = await start({ token: '', args: [...LIGHT, '--rotate-token'] }, first);
  expect(rotated.token).not.toBe(old);
  expect(rotated.output()).toContain('The server token was rotated');
  expect((await rotated.api('GET', '/api/me')).status).toBe(200);

  const byLink = await refusal(await rotated.api('GET', '/api/me', undefined, old));
  const bySession = await refusal(
    await withCookie(rotated, cookie, '/api/collaboration/session/a.ipynb', { method: 'PUT', body: JSON.stringify({ format: 'json', type: 'notebook' }) }),
  );
  for (const answer of [byLink, bySession]) {
    expect(answer.status).toBe(401);
    expect(answer.reason).toBe('token_rotated');
    expect(answer.message).toMatch(/token was changed \(rotated\).*Open the new link the server printed/);
  }
  // A token that was never the server's is just invalid.
  expect(await refusal(await rotated.api('GET', '/api/me', undefined, 'never-a-token-1234'))).toMatchObject({ status: 401, reason: 'unauthorized' });
  // Share links are not the server token: they keep working.
  expect((await rotated.api('GET', '/api/contents/a.ipynb', undefined, share)).status).toBe(200);

  // The new token is kept in turn, and the old one is still recognised (here through the env var).
  const kept = await start({ token: '', args: LIGHT }, rotated);
  expect(kept.token).toBe(rotated.token);
  expect((await refusal(await kept.api('GET', '/api/me', undefined, old))).reason).toBe('token_rotated');
  const again = await start({ token: '', args: LIGHT, env: { TANDEM_ROTATE_TOKEN: 'true' } }, kept);
  expect(again.token).not.toBe(kept.token);
  expect((await refusal(await again.api('GET', '/api/me', undefined, kept.token))).reason).toBe('token_rotated');
});

test('--rotate-token together with --token is refused with a clear error', async () => {
  const root = tempRoot();
  try {
    await expect(startTandem({ root, token: 'given-token-0123456789', args: [...LIGHT, '--rotate-token'] })).rejects.toThrow(
      /--rotate-token makes a new token, so it cannot be combined with --token/,
    );
  } finally {
    removeRoot(root);
  }
});
