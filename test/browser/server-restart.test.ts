// The owner's open tab across server restarts: with the token the server keeps, it reconnects
// on its own with no message; after `--rotate-token` it says what happened and what to do.
// The server restarts on the same port, as a user's `npm start` does (port 0 picks one at the
// first start; the restart reuses it), so the tab's own reconnection is what is tested.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';
import { cellText, editCell, launchChromium, notebookJson, openNotebook, person, screenshot } from './support/browser';
import { ensureClientBuilt } from './support/build';

const LIGHT = ['--warm-pool', '0'];
let server: TandemProcess;
let browser: Browser;

beforeAll(async () => {
  await ensureClientBuilt();
  // No --token: the server makes one and keeps it, as for a user.
  [server, browser] = await Promise.all([startTandem({ token: '', args: LIGHT, env: { TANDEM_LOG_LEVEL: 'warn' } }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) removeRoot(server.root);
});

async function restart(args: string[]): Promise<void> {
  await server.stop();
  server = await server.restart({ token: '', args });
}

async function savedSource(path: string): Promise<string> {
  const model = (await (await server.api('GET', `/api/contents/${path}?content=1`)).json()) as { content: { cells: { source: string | string[] }[] } };
  const source = model.content.cells[0].source;
  return Array.isArray(source) ? source.join('') : source;
}

test("the owner's open tab reconnects after a restart with no message, and after a rotation says to open the new link", async () => {
  await server.api('PUT', '/api/contents/restart.ipynb', { type: 'notebook', format: 'json', content: notebookJson([{ source: 'x = 1' }]) });
  const owner = await person(browser);
  try {
    await openNotebook(owner, `${server.base}/notebooks/restart.ipynb?token=${server.token}`);
    const offline = owner.page.locator('[data-testid="offline-banner"]');

    const before = server.token;
    await restart(LIGHT);
    expect(server.token).toBe(before);
    // The tab noticed the server was gone, then came back by itself.
    await offline.waitFor({ timeout: 15_000 });
    await offline.waitFor({ state: 'detached', timeout: 30_000 });
    await owner.page.getByRole('status').filter({ hasText: 'Back online' }).waitFor({ timeout: 10_000 });
    expect(await owner.page.getByRole('alert').filter({ hasText: 'Disconnected' }).count()).toBe(0);
    // And it is really connected as the owner: an edit reaches the restarted server.
    await editCell(owner.page, 0);
    await owner.page.keyboard.press('End');
    await owner.page.keyboard.type(' + 1');
    await expect.poll(() => savedSource('restart.ipynb'), { timeout: 15_000 }).toBe('x = 1 + 1');

    await restart([...LIGHT, '--rotate-token']);
    expect(server.token).not.toBe(before);
    const ended = owner.page.getByRole('alert').filter({ hasText: 'Disconnected' });
    await ended.waitFor({ timeout: 30_000 });
    await expect.poll(() => ended.textContent()).toMatch(/token was changed \(rotated\).*Open the new link the server printed/);
    await screenshot(owner.page, 'token-rotated');
    expect(await cellText(owner.page, 0)).toBe('x = 1 + 1');

    // Reloading shows the sign-in page with the same explanation; the new link signs in again.
    await ended.getByRole('button', { name: 'Reload' }).click();
    await owner.page.getByRole('alert').filter({ hasText: 'token was changed (rotated)' }).waitFor({ timeout: 15_000 });
    await openNotebook(owner, `${server.base}/notebooks/restart.ipynb?token=${server.token}`);
    expect(await cellText(owner.page, 0)).toBe('x = 1 + 1');
  } finally {
    await owner.context.close();
  }
});
