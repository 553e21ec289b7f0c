// Read-only viewers following along: a viewer follows the presenter, and the presenter's
// selected cell scrolls into the viewer's view.

import type { Locator, Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { cell, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

async function inView(page: Page, target: Locator): Promise<boolean> {
  const box = await target.boundingBox();
  const view = await page.locator('.scroller').boundingBox();
  if (!box || !view) return false;
  return box.y >= view.y - 1 && box.y + Math.min(box.height, 40) <= view.y + view.height + 1;
}

test('follow mode scrolls a viewer to the cell the presenter selects', async () => {
  const cells = Array.from({ length: 40 }, (_, i) => ({ source: `# step ${i}\nvalue_${i} = ${i} * 2` }));
  await putNotebook(s.tandem, 'talk.ipynb', cells);
  const presenter = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(presenter, ownerUrl(s.tandem, 'talk.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'talk.ipynb', 'viewer'));

    // The viewer sees the presenter's avatar and follows them.
    const avatar = viewer.page.locator('.presence .who');
    await expectCount(avatar, 1);
    await avatar.click();
    await viewer.page.locator('[data-testid="follow-banner"]').waitFor();
    expect(await inView(viewer.page, cell(viewer.page, 35))).toBe(false);

    // The presenter goes to cell 35 and selects it.
    await cell(presenter.page, 35).scrollIntoViewIfNeeded();
    await cell(presenter.page, 35).locator('[data-testid="cell-prompt"]').click();

    await expect.poll(() => inView(viewer.page, cell(viewer.page, 35)), { timeout: 10_000 }).toBe(true);
    await screenshot(viewer.page, 'notebook-viewer-following');

    // Then to an early cell by keyboard: the viewer comes along.
    for (let i = 0; i < 30; i++) await presenter.page.keyboard.press('k');
    await expect.poll(() => inView(viewer.page, cell(viewer.page, 5)), { timeout: 10_000 }).toBe(true);

    // Scrolling by hand stops following.
    await viewer.page.mouse.move(600, 500);
    await viewer.page.mouse.wheel(0, 400);
    await viewer.page.locator('[data-testid="follow-banner"]').waitFor({ state: 'detached' });
  } finally {
    await presenter.context.close();
    await viewer.context.close();
  }
});
