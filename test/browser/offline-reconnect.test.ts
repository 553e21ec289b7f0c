// Resilience: typing while offline keeps working, and reconnecting merges the text exactly
// once (jupyter-collaboration#594 was cells duplicated after a reconnect).
import { expect, test } from 'vitest';
import { cell, cellText, editCell, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

test('typing offline, then reconnecting, merges the text once', async () => {
  await putNotebook(s.tandem, 'offline.ipynb', [{ source: 'base' }, { source: 'second = 2' }]);
  const ann = await person(s.browser);
  const bob = await person(s.browser);
  try {
    await openNotebook(ann, ownerUrl(s.tandem, 'offline.ipynb'));
    await openNotebook(bob, await shareLink(s.tandem, 'offline.ipynb', 'editor'));

    await ann.context.setOffline(true);
    await ann.page.locator('[data-testid="offline-banner"]').waitFor({ timeout: 15_000 });
    await editCell(ann.page, 0);
    await ann.page.keyboard.type(' ann-offline');
    await screenshot(ann.page, 'notebook-offline');

    // Meanwhile Bob keeps working online in the same cell.
    await cell(bob.page, 0).locator('.cm-content').click();
    await bob.page.keyboard.press('Control+Home');
    await bob.page.keyboard.type('bob-online ');
    await ann.page.waitForTimeout(500);
    expect(await cellText(ann.page, 0)).toBe('base ann-offline');

    await ann.context.setOffline(false);
    await ann.page.locator('[data-testid="offline-banner"]').waitFor({ state: 'detached', timeout: 20_000 });
    const merged = 'bob-online base ann-offline';
    await expect.poll(() => cellText(ann.page, 0), { timeout: 15_000 }).toBe(merged);
    await expect.poll(() => cellText(bob.page, 0), { timeout: 15_000 }).toBe(merged);
    await ann.page.waitForTimeout(1000);
    for (const page of [ann.page, bob.page]) {
      const text = await cellText(page, 0);
      expect(occurrences(text, 'ann-offline')).toBe(1);
      expect(occurrences(text, 'bob-online')).toBe(1);
      expect(await page.locator('[data-cell-id]').count()).toBe(2);
    }
    // And the server has it: a fresh reader sees the same.
    const model = await s.tandem.api<{ content: { cells: { source: string | string[] }[] } }>('GET', '/api/contents/offline.ipynb?content=1');
    const src = model.content.cells[0].source;
    expect(Array.isArray(src) ? src.join('') : src).toBe(merged);
  } finally {
    await ann.context.close();
    await bob.context.close();
  }
});
