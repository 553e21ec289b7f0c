// Names people see: the owner is the system user running the server; anyone can choose a
// display name, which collaborators see on the avatar and the cursor, and which the browser
// remembers for its next session.
import { userInfo } from 'node:os';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { cell, editCell, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

async function me(page: Page): Promise<{ username: string; name: string }> {
  return page.evaluate(`fetch('/api/me').then((r) => r.json()).then((me) => me.identity)`) as Promise<{ username: string; name: string }>;
}

/** The avatar of one person as another sees it in the notebook's header. */
function avatarOf(page: Page, username: string) {
  return page.locator(`[aria-label="People in this notebook"] [data-username="${username}"]`);
}

test('a display name chosen in one browser is what collaborators see, and that browser remembers it', async () => {
  await putNotebook(s.tandem, 'names.ipynb', [{ source: 'x = 1' }]);
  const owner = await person(s.browser);
  const colleague = await person(s.browser);
  try {
    await openNotebook(owner, ownerUrl(s.tandem, 'names.ipynb'));
    await openNotebook(colleague, await shareLink(s.tandem, 'names.ipynb', 'editor'));
    const first = await me(owner.page);
    // The owner starts as the system user, as in Jupyter Server, not as an anonymous moon.
    expect(first.name).toBe(userInfo().username);
    await avatarOf(colleague.page, first.username)
      .and(colleague.page.locator(`[title^="${first.name} (owner)"]`))
      .waitFor();
    // An anonymous collaborator is offered to set a name; the owner, who has one, is not.
    await colleague.page.getByRole('button', { name: 'Set your name' }).waitFor();
    expect(await owner.page.getByRole('button', { name: 'Set your name' }).count()).toBe(0);

    await owner.page.getByTestId('my-avatar').click();
    await owner.page.getByRole('menuitem', { name: 'Change your name…' }).click();
    await owner.page.getByRole('dialog').locator('input').fill('Ada Lovelace');
    await owner.page.getByRole('button', { name: 'Save' }).click();

    await colleague.page.locator('[aria-label="People in this notebook"] [title^="Ada Lovelace (owner)"]').waitFor({ timeout: 10_000 });
    await editCell(owner.page, 0);
    await cell(colleague.page, 0).locator(`[aria-label="Ada Lovelace's cursor"]`).waitFor({ timeout: 10_000 });
    await screenshot(colleague.page, 'display-name-seen-by-colleague');

    // A new session in the same browser (the cookie gone, as after a rotated token) keeps the name.
    await owner.context.clearCookies();
    await openNotebook(owner, ownerUrl(s.tandem, 'names.ipynb'));
    const again = await me(owner.page);
    expect(again.username).not.toBe(first.username);
    expect(again.name).toBe('Ada Lovelace');
    await avatarOf(colleague.page, again.username).and(colleague.page.locator('[title^="Ada Lovelace (owner)"]')).waitFor({ timeout: 10_000 });
    expect([...owner.errors, ...colleague.errors]).toEqual([]);
  } finally {
    await owner.context.close();
    await colleague.context.close();
  }
}, 120_000);
