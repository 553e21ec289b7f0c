// A long notebook opens with live editors only near the viewport; cells further down become
// editable as they come into view, and look the same before and after.
import { expect, test } from 'vitest';
import { cell, cellText, editCell, expectCount, openNotebook, ownerUrl, person, putNotebook } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('cells far down a long notebook get their editor when scrolled to, and take typing', async () => {
  const cells = Array.from({ length: 150 }, (_, i) => ({ source: `# part ${i}\nresult_${i} = compute(${i})` }));
  await putNotebook(s.tandem, 'long.ipynb', cells);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'long.ipynb'));
    const far = cell(p.page, 140);
    await expectCount(far.locator('.cm-content'), 0);
    expect(await far.locator('.static-code').innerText()).toBe('# part 140\nresult_140 = compute(140)');
    // Static code is highlighted with the editor's own token classes.
    expect(await far.locator('.static-code .tok-comment').count()).toBeGreaterThan(0);

    await far.scrollIntoViewIfNeeded();
    await far.locator('.cm-content').waitFor();
    await editCell(p.page, 140);
    await p.page.keyboard.type(' + 1');
    await expect.poll(() => cellText(p.page, 140)).toBe('# part 140\nresult_140 = compute(140) + 1');
  } finally {
    await p.context.close();
  }
});
