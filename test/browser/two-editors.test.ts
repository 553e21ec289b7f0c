// Pair analysis: two people edit the same cell at once, each in their own browser.
import { expect, test } from 'vitest';
import { cell, cellText, displayName, editCell, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('two editors typing in one cell both see the merged text and each other’s named cursor', async () => {
  await putNotebook(s.tandem, 'pair.ipynb', [{ source: 'total = 0\n' }, { source: 'print(total)' }]);
  const ann = await person(s.browser);
  const bob = await person(s.browser);
  try {
    await openNotebook(ann, ownerUrl(s.tandem, 'pair.ipynb'));
    await openNotebook(bob, await shareLink(s.tandem, 'pair.ipynb', 'editor'));
    const annName = await displayName(ann.page);
    const bobName = await displayName(bob.page);

    // Ann types at the end of the first cell, Bob at its very start, at the same time.
    await editCell(ann.page, 0);
    await cell(bob.page, 0).locator('.cm-content').click();
    await bob.page.keyboard.press('Control+Home');
    await Promise.all([ann.page.keyboard.type('total += 1', { delay: 15 }), bob.page.keyboard.type('# shared\n', { delay: 15 })]);

    const merged = '# shared\ntotal = 0\ntotal += 1';
    await expect.poll(() => cellText(ann.page, 0), { timeout: 10_000 }).toBe(merged);
    await expect.poll(() => cellText(bob.page, 0), { timeout: 10_000 }).toBe(merged);

    // Each sees the other's caret, labelled with the other's name, in that cell.
    await expectCount(cell(ann.page, 0).locator('.cm-remote-caret-label', { hasText: bobName }), 1);
    await expectCount(cell(bob.page, 0).locator('.cm-remote-caret-label', { hasText: annName }), 1);
    // And the other's avatar in the header.
    await expectCount(ann.page.locator('.presence .who'), 1);

    await screenshot(ann.page, 'notebook-two-editors');
    expect(ann.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  } finally {
    await ann.context.close();
    await bob.context.close();
  }
});
