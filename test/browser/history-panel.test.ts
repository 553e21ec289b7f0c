// The History panel: a person saves a version, deletes a cell, previews the version, sees the
// cell as deleted since, and brings it back with one click; a collaborator sees it return.
import { expect, test } from 'vitest';
import { cell, cellText, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite({ args: ['--warm-pool', '0'] });

test('the History panel opens, previews a version, and restores a deleted cell for everyone', async () => {
  await putNotebook(s.tandem, 'history.ipynb', [{ source: 'keep = 1' }, { source: 'drop = 2' }, { type: 'markdown', source: '# End' }]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'history.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'history.ipynb', 'viewer'));

    await editor.page.getByTestId('history-button').click();
    const panel = editor.page.getByTestId('history-panel');
    await panel.waitFor();
    await panel.getByLabel('Version label').fill('all three');
    await panel.getByTestId('save-version').click();
    const saved = panel.getByTestId('version').filter({ hasText: 'all three' });
    await saved.waitFor();

    await cell(editor.page, 1).locator('[data-testid="cell-prompt"]').click();
    await editor.page.keyboard.press('d');
    await editor.page.keyboard.press('d');
    await expectCount(viewer.page.locator('[data-cell-id]'), 2);

    await saved.click();
    const view = panel.getByTestId('version-view');
    await view.getByTestId('preview-mode').click();
    await view.locator('[data-testid="version-cell"]', { hasText: 'drop = 2' }).waitFor();
    await expectCount(view.getByTestId('version-cell'), 3);
    await screenshot(editor.page, 'history-preview');

    await view.getByRole('radio', { name: /Changes since/ }).click();
    const deleted = view.locator('[data-testid="version-cell"][data-status="deleted"]');
    await expectCount(deleted, 1);
    await deleted.getByTestId('restore-cell').click();

    await expectCount(viewer.page.locator('[data-cell-id]'), 3);
    await expect.poll(() => cellText(viewer.page, 1)).toBe('drop = 2');
    await expect.poll(() => cellText(editor.page, 1)).toBe('drop = 2');
    await expectCount(view.locator('[data-testid="version-cell"][data-status="deleted"]'), 0);
    // A viewer may browse history but is offered no restore.
    await viewer.page.getByTestId('history-button').click();
    await viewer.page.getByTestId('history-panel').getByTestId('version').first().waitFor();
    await expectCount(viewer.page.getByTestId('save-version'), 0);
    expect(editor.errors).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
});
