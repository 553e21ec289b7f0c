// Jupyter's keys, as a notebook user types them.

import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { cell, cellText, editCell, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

async function activeIndex(page: Page): Promise<number> {
  return Number(await page.locator('.cell.active').getAttribute('data-index'));
}

/** Selects a cell in command mode, the way a user does: click its prompt. */
async function selectCell(page: Page, index: number): Promise<void> {
  await cell(page, index).locator('[data-testid="cell-prompt"]').click();
  await expect.poll(() => activeIndex(page)).toBe(index);
}

test('Shift-Enter runs the cell and selects the next one', async () => {
  await putNotebook(s.tandem, 'keys-run.ipynb', [{ source: '6 * 7' }, { source: 'x = 1' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'keys-run.ipynb'));
    await editCell(p.page, 0);
    await p.page.keyboard.press('Shift+Enter');
    await expect.poll(() => activeIndex(p.page)).toBe(1);
    expect(await p.page.locator('.scroller').getAttribute('data-mode')).toBe('command');
    await cell(p.page, 0).locator('.output', { hasText: '42' }).waitFor({ timeout: 90_000 });
    expect(await cell(p.page, 0).locator('[data-testid="cell-prompt"]').innerText()).toMatch(/\[\d+\]:/);
  } finally {
    await p.context.close();
  }
}, 150_000);

test('B inserts a cell below the selected one', async () => {
  await putNotebook(s.tandem, 'keys-b.ipynb', [{ source: 'a = 1' }, { source: 'c = 3' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'keys-b.ipynb'));
    await selectCell(p.page, 0);
    await p.page.keyboard.press('b');
    await expectCount(p.page.locator('[data-cell-id]'), 3);
    await expect.poll(() => activeIndex(p.page)).toBe(1);
    expect(await cellText(p.page, 1)).toBe('');
    expect(await cellText(p.page, 2)).toBe('c = 3');
  } finally {
    await p.context.close();
  }
});

test('D D deletes the selected cell', async () => {
  await putNotebook(s.tandem, 'keys-dd.ipynb', [{ source: 'keep = 1' }, { source: 'drop = 2' }, { source: 'also = 3' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'keys-dd.ipynb'));
    await selectCell(p.page, 1);
    await p.page.keyboard.press('d');
    await p.page.keyboard.press('d');
    await expectCount(p.page.locator('[data-cell-id]'), 2);
    expect(await cellText(p.page, 0)).toBe('keep = 1');
    expect(await cellText(p.page, 1)).toBe('also = 3');
    // A single D does nothing.
    await p.page.keyboard.press('d');
    await p.page.waitForTimeout(1000);
    await p.page.keyboard.press('d');
    await p.page.waitForTimeout(300);
    await expectCount(p.page.locator('[data-cell-id]'), 2);
  } finally {
    await p.context.close();
  }
});

test('M turns a cell into markdown, which renders with its math', async () => {
  await putNotebook(s.tandem, 'keys-m.ipynb', [{ source: '# Results\n\nThe fit is $y = ax + b$.' }, { source: 'pass' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'keys-m.ipynb'));
    await selectCell(p.page, 0);
    await p.page.keyboard.press('m');
    await expect.poll(() => cell(p.page, 0).getAttribute('data-cell-type')).toBe('markdown');
    const preview = cell(p.page, 0).locator('[data-testid="markdown-preview"]');
    await preview.locator('h1', { hasText: 'Results' }).waitFor();
    await preview.locator('.katex').first().waitFor();
    // Y turns it back into code, with the same source.
    await p.page.keyboard.press('y');
    await expect.poll(() => cell(p.page, 0).getAttribute('data-cell-type')).toBe('code');
    expect(await cellText(p.page, 0)).toBe('# Results\n\nThe fit is $y = ax + b$.');
    await p.page.keyboard.press('m');
    await preview.locator('h1').waitFor();
    await screenshot(p.page, 'notebook-markdown-rendered');
  } finally {
    await p.context.close();
  }
});

test('Z undoes only my own change, not a collaborator’s', async () => {
  await putNotebook(s.tandem, 'keys-z.ipynb', [{ source: 'mine' }, { source: 'theirs' }]);
  const me = await person(s.browser);
  const other = await person(s.browser);
  try {
    await openNotebook(me, ownerUrl(s.tandem, 'keys-z.ipynb'));
    await openNotebook(other, ownerUrl(s.tandem, 'keys-z.ipynb'));
    await editCell(me.page, 0);
    await me.page.keyboard.type(' edited');
    await editCell(other.page, 1);
    await other.page.keyboard.type(' too');
    await expect.poll(() => cellText(me.page, 1)).toBe('theirs too');
    await me.page.keyboard.press('Escape');
    await me.page.keyboard.press('z');
    await expect.poll(() => cellText(me.page, 0)).toBe('mine');
    expect(await cellText(me.page, 1)).toBe('theirs too');
    await expect.poll(() => cellText(other.page, 0)).toBe('mine');
  } finally {
    await me.context.close();
    await other.context.close();
  }
});

test('Ctrl-Shift-Minus splits a cell at the cursor and Shift-M merges it back', async () => {
  await putNotebook(s.tandem, 'keys-split.ipynb', [{ source: 'a = 1\nb = 2' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'keys-split.ipynb'));
    await cell(p.page, 0).locator('.cm-content').click();
    await p.page.keyboard.press('Control+Home');
    await p.page.keyboard.press('End');
    await p.page.keyboard.press('Control+Shift+Minus');
    await expectCount(p.page.locator('[data-cell-id]'), 2);
    expect(await cellText(p.page, 0)).toBe('a = 1');
    expect(await cellText(p.page, 1)).toBe('b = 2');
    await p.page.keyboard.press('Escape');
    await p.page.keyboard.press('k');
    await p.page.keyboard.press('Shift+M');
    await expectCount(p.page.locator('[data-cell-id]'), 1);
    expect(await cellText(p.page, 0)).toBe('a = 1\n\nb = 2');
    // Ctrl-Shift-Down moves a cell down.
    await p.page.keyboard.press('b');
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.type('c = 3');
    await p.page.keyboard.press('Escape');
    await p.page.keyboard.press('Control+Shift+ArrowUp');
    await expect.poll(() => cellText(p.page, 0)).toBe('c = 3');
    expect(await activeIndex(p.page)).toBe(0);
  } finally {
    await p.context.close();
  }
});
