// The command palette and the saved state (issue 14, item 4).

import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { cell, cellText, editCell, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

const palette = (page: Page) => page.getByRole('dialog', { name: 'Command palette' });
const options = (page: Page) => palette(page).getByRole('option');
const selectedOption = (page: Page) => palette(page).locator('[role="option"][aria-selected="true"]');

async function selectCell(page: Page, index: number): Promise<void> {
  await cell(page, index).locator('[data-testid="cell-prompt"]').click();
  await expect.poll(() => page.locator('.cell.active').getAttribute('data-index')).toBe(String(index));
}

async function serverSources(path: string): Promise<string[]> {
  const model = await s.tandem.api<{ content: { cells: { source: string | string[] }[] } }>('GET', `/api/contents/${path}?content=1`);
  return model.content.cells.map((c) => [c.source].flat().join(''));
}

test('Ctrl-Shift-C opens the command palette; typing filters, arrows choose, Enter runs the command', async () => {
  await putNotebook(s.tandem, 'palette-run.ipynb', [{ source: 'first = 1' }, { source: 'last = 2' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'palette-run.ipynb'));
    await selectCell(p.page, 0);
    await p.page.keyboard.press('Control+Shift+C');
    await palette(p.page).waitFor();
    // Every command is listed, with its keys.
    expect(await options(p.page).count()).toBeGreaterThan(30);
    expect(await options(p.page).filter({ hasText: 'Insert cell below' }).innerText()).toContain('B');

    // Arrows move the choice, wrapping at the ends.
    await p.page.keyboard.type('run');
    const first = await selectedOption(p.page).innerText();
    await p.page.keyboard.press('ArrowDown');
    expect(await selectedOption(p.page).innerText()).not.toBe(first);
    await p.page.keyboard.press('ArrowUp');
    expect(await selectedOption(p.page).innerText()).toBe(first);
    // Esc closes it and runs nothing.
    await p.page.keyboard.press('Escape');
    await expectCount(palette(p.page), 0);
    await expectCount(p.page.locator('[data-cell-id]'), 2);

    await p.page.keyboard.press('Control+Shift+C');
    await p.page.keyboard.type('insert cell below');
    expect(await selectedOption(p.page).innerText()).toContain('Insert cell below');
    await screenshot(p.page, 'command-palette');
    await p.page.keyboard.press('Enter');
    await expectCount(palette(p.page), 0);
    await expectCount(p.page.locator('[data-cell-id]'), 3);
    expect(await cellText(p.page, 2)).toBe('last = 2');
    // Everyone's document changed, not just this page.
    await expect.poll(() => serverSources('palette-run.ipynb')).toEqual(['first = 1', '', 'last = 2']);

    // A filter that matches nothing says so.
    await p.page.keyboard.press('Control+Shift+C');
    await p.page.keyboard.type('no such command');
    await palette(p.page).getByText('No command matches').waitFor();
    await p.page.keyboard.press('Escape');

    // It opens from inside an editor too, and Esc goes back to the editor.
    await editCell(p.page, 0);
    await p.page.keyboard.press('Control+Shift+C');
    await palette(p.page).waitFor();
    await p.page.keyboard.press('Escape');
    await expectCount(palette(p.page), 0);
    await p.page.keyboard.type('!');
    await expect.poll(() => cellText(p.page, 0)).toBe('first = 1!');
  } finally {
    await p.context.close();
  }
});

test('the palette offers a viewer only what a viewer can do', async () => {
  await putNotebook(s.tandem, 'palette-viewer.ipynb', [{ source: 'x = 1' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, await shareLink(s.tandem, 'palette-viewer.ipynb', 'viewer'));
    await selectCell(p.page, 0);
    await p.page.keyboard.press('Control+Shift+C');
    await palette(p.page).waitFor();
    await options(p.page).filter({ hasText: 'Hide or show outputs' }).waitFor();
    for (const forbidden of ['Insert cell below', 'Delete cells', 'Run all cells', 'Restart kernel…']) {
      await expectCount(options(p.page).filter({ hasText: forbidden }), 0);
    }
  } finally {
    await p.context.close();
  }
});

test('the header says when every change is saved, and Ctrl-S says so in both modes', async () => {
  await putNotebook(s.tandem, 'saved-state.ipynb', [{ source: 'x = 1' }]);
  const p = await person(s.browser);
  const status = p.page.getByTestId('save-status');
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'saved-state.ipynb'));
    await status.filter({ hasText: 'All changes saved' }).waitFor();

    await editCell(p.page, 0);
    await p.page.keyboard.type(' + 41');
    // Typing makes it unsaved at once; "saved" comes back only once the server has the edit.
    await expect.poll(() => status.getAttribute('data-state')).toBe('saved');
    expect(await serverSources('saved-state.ipynb')).toEqual(['x = 1 + 41']);
    expect(await status.innerText()).toBe('All changes saved');

    // Ctrl-S in edit mode, then in command mode, confirms it.
    const toast = p.page.getByRole('status').getByText('Saved — Tandem saves as you type.');
    await p.page.keyboard.press('Control+s');
    await toast.waitFor();
    await screenshot(p.page, 'saved-state');
    await p.page.keyboard.press('Escape');
    await expect.poll(() => p.page.locator('.scroller').getAttribute('data-mode')).toBe('command');
    // The same message is not stacked twice: let the first one go.
    await expectCount(toast, 0);
    await p.page.keyboard.press('Control+s');
    await toast.waitFor();

    // Offline, edits wait here and the header says so; back online, they are saved.
    await p.context.setOffline(true);
    await editCell(p.page, 0);
    await p.page.keyboard.type('0');
    await status.filter({ hasText: 'Offline' }).waitFor();
    await p.context.setOffline(false);
    await status.filter({ hasText: 'All changes saved' }).waitFor({ timeout: 20_000 });
    expect(await serverSources('saved-state.ipynb')).toEqual(['x = 1 + 410']);
  } finally {
    await p.context.close();
  }
});

test('the H sheet lists the command palette and saving', async () => {
  await putNotebook(s.tandem, 'help-sheet.ipynb', [{ source: 'x = 1' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'help-sheet.ipynb'));
    await selectCell(p.page, 0);
    await p.page.keyboard.press('h');
    const sheet = p.page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await sheet.waitFor();
    const text = await sheet.innerText();
    expect(text).toContain('Command palette');
    expect(text).toContain('Ctrl-Shift-C');
    expect(text).toContain('Save (Tandem saves as you type)');
    expect(text).toContain('Ctrl-S');
  } finally {
    await p.context.close();
  }
});
