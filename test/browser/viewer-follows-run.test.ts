// Live-shared session: an editor runs a cell, a viewer with a view link watches the output
// arrive, and cannot edit or run anything. Needs the execution API and a real ipykernel
// with matplotlib.
import { expect, test } from 'vitest';
import { cell, cellText, editCell, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

const PLOT = [
  'print("hello from the editor")',
  '%matplotlib inline',
  'import matplotlib.pyplot as plt',
  'plt.figure(figsize=(5, 2.5))',
  'plt.plot([1, 3, 2, 4])',
  'plt.title("Revenue")',
  'plt.show()',
].join('\n');

test('a viewer from a view link sees an editor’s run output appear, and can neither edit nor run', async () => {
  await putNotebook(s.tandem, 'live.ipynb', [{ source: PLOT }, { type: 'markdown', source: '## Notes' }]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'live.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'live.ipynb', 'viewer'));

    await editCell(editor.page, 0);
    await editor.page.keyboard.press('Shift+Enter');

    // The viewer sees the printed line and the figure arrive through the shared document.
    const out = cell(viewer.page, 0).locator('[data-testid="stream-output"]', { hasText: 'hello from the editor' });
    await out.waitFor({ timeout: 90_000 });
    await cell(viewer.page, 0).locator('[data-testid="image-output"]').waitFor({ timeout: 30_000 });
    await screenshot(editor.page, 'notebook-editor-after-run');
    await screenshot(viewer.page, 'notebook-viewer');

    // Read-only: the editor refuses focus-typing, and nothing changes.
    const before = await cellText(viewer.page, 0);
    expect(await cell(viewer.page, 0).locator('.cm-content').getAttribute('contenteditable')).toBe('false');
    await cell(viewer.page, 0).locator('.cm-content').click();
    await viewer.page.keyboard.type('import os');
    await viewer.page.keyboard.press('Escape');
    await viewer.page.keyboard.press('b');
    await viewer.page.keyboard.press('d');
    await viewer.page.keyboard.press('d');
    expect(await cellText(viewer.page, 0)).toBe(before);
    await expectCount(viewer.page.locator('[data-cell-id]'), 2);
    await expectCount(editor.page.locator('[data-cell-id]'), 2);
    expect(await cellText(editor.page, 0)).toBe(PLOT);

    // No run control anywhere, and the access badge says so.
    await expectCount(viewer.page.locator('[data-testid="run-button"], button[aria-label="Run"], button[aria-label="Restart"]'), 0);
    await expectCount(viewer.page.getByRole('button', { name: 'Run', exact: true }), 0);
    expect(await viewer.page.locator('[data-testid="access-badge"]').innerText()).toContain('View only');
    expect(viewer.errors).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 150_000);
