// What each role gets in the notebook, and the server's unknown_session answer.
import { expect, test } from 'vitest';
import { cell, cellText, expectCount, openNotebook, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('a runner link can run cells but cannot edit them', async () => {
  await putNotebook(s.tandem, 'runner.ipynb', [{ source: 'x = 1' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, await shareLink(s.tandem, 'runner.ipynb', 'runner'));
    await p.page.locator('[data-testid="run-button"]').waitFor();
    expect(await cell(p.page, 0).locator('.cm-content').getAttribute('contenteditable')).toBe('false');
    await expectCount(p.page.getByRole('button', { name: 'Insert cell below' }), 0);
    expect(await p.page.locator('[data-testid="access-badge"]').innerText()).toContain('Can run');
    await cell(p.page, 0).locator('[data-testid="cell-prompt"]').click();
    await p.page.keyboard.press('b');
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.type('oops');
    await expectCount(p.page.locator('[data-cell-id]'), 1);
    expect(await cellText(p.page, 0)).toBe('x = 1');
  } finally {
    await p.context.close();
  }
});

test('an editor link can change the notebook', async () => {
  await putNotebook(s.tandem, 'editor.ipynb', [{ source: 'x = 1' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, await shareLink(s.tandem, 'editor.ipynb', 'editor'));
    await p.page.getByRole('button', { name: 'Insert cell below' }).click();
    await expectCount(p.page.locator('[data-cell-id]'), 2);
    // An editor may share too, up to their own role.
    await p.page.getByRole('button', { name: 'Share', exact: true }).waitFor();
  } finally {
    await p.context.close();
  }
});

test('when the server no longer knows the session, the notebook asks to reload instead of reconnecting', async () => {
  await putNotebook(s.tandem, 'rebuilt.ipynb', [{ source: 'x = 1' }]);
  const p = await person(s.browser);
  try {
    // Present an out-of-date session id, as a tab would after the server rebuilt the history.
    await p.page.route('**/api/collaboration/session/**', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      await route.fulfill({ response, json: { ...body, sessionId: 'a-session-from-before-the-rebuild' } });
    });
    await p.page.goto(`${s.tandem.url}/notebooks/rebuilt.ipynb?token=${s.tandem.token}`);
    const dialog = p.page.getByRole('dialog', { name: 'This notebook was reloaded on the server' });
    await dialog.waitFor({ timeout: 15_000 });
    await screenshot(p.page, 'notebook-reload-prompt');
    await p.page.unroute('**/api/collaboration/session/**');
    await dialog.getByRole('button', { name: 'Reload' }).click();
    await p.page.locator('[data-cell-id]').first().waitFor();
    expect(await cellText(p.page, 0)).toBe('x = 1');
  } finally {
    await p.context.close();
  }
});
