// A browser session chooses the name collaborators see (PATCH /api/me); the server cleans it
// and refuses what it cannot show honestly, and the owner is the system user until renamed.
import { userInfo } from 'node:os';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server.stop();
});

/** Signs a browser in with a link, as a person would, and returns its session cookie. */
async function signIn(token = server.token): Promise<string> {
  const page = await fetch(`${server.base}/?token=${token}`, { redirect: 'manual' });
  return page.headers.get('set-cookie')!.split(';')[0];
}

async function rename(cookie: string, name: string): Promise<{ status: number; cookie: string; body: { identity?: { name: string }; message?: string } }> {
  const res = await fetch(`${server.base}/api/me`, {
    method: 'PATCH',
    headers: { cookie, 'content-type': 'application/json', origin: server.base },
    body: JSON.stringify({ name }),
  });
  const set = res.headers.get('set-cookie');
  return { status: res.status, cookie: set ? set.split(';')[0] : cookie, body: (await res.json()) as never };
}

async function nameOf(cookie: string): Promise<string> {
  const me = await fetch(`${server.base}/api/me`, { headers: { cookie } });
  return ((await me.json()) as { identity: { name: string } }).identity.name;
}

test('the owner’s browser session is named after the system user running the server', async () => {
  expect(await nameOf(await signIn())).toBe(userInfo().username);
});

test('a chosen name is kept in the session, cleaned of invisible and direction-changing characters', async () => {
  const cookie = await signIn();
  const renamed = await rename(cookie, '  Ada\u202e \u200bLove\u0007lace\n ');
  expect(renamed.status).toBe(200);
  expect(renamed.body.identity?.name).toBe('Ada Lovelace');
  expect(await nameOf(renamed.cookie)).toBe('Ada Lovelace');
});

test('a name that is empty once cleaned, or too long, is refused and changes nothing', async () => {
  const first = await rename(await signIn(), 'Grace');
  expect(first.status).toBe(200);
  const blank = await rename(first.cookie, '\u200b\u202e ');
  expect(blank.status).toBe(400);
  expect(blank.body.message).toMatch(/empty/);
  const long = await rename(first.cookie, 'x'.repeat(65));
  expect(long.status).toBe(400);
  expect(long.body.message).toMatch(/at most 64 characters/);
  expect(await nameOf(first.cookie)).toBe('Grace');
});
