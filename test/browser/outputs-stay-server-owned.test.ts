// Only the server writes outputs and counts (DESIGN.md section 3), and it refuses a client
// update that brings its own. What people do with cells that have outputs must never trip
// that: moving them keeps their outputs, undoing a deletion brings the cell back (without
// outputs the server cannot vouch for), pasting makes clean copies, and the editor's later
// edits keep reaching everyone.
import { expect, test } from 'vitest';
import { cell, cellText, editCell, expectCount, openNotebook, ownerUrl, person, putNotebook, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('moving, deleting and undoing, and pasting cells with outputs is never refused, and everyone keeps in sync', async () => {
  await putNotebook(s.tandem, 'server-owned.ipynb', [
    { source: 'first = 1' },
    { source: 'print("plotted")', execution_count: 7, outputs: [{ output_type: 'stream', name: 'stdout', text: 'plotted\n' }] },
    { source: 'last = 3' },
  ]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'server-owned.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'server-owned.ipynb', 'viewer'));
    const printed = (p: typeof editor, index: number) => cell(p.page, index).locator('[data-testid="stream-output"]');

    // Move the cell with outputs down: the viewer sees it below, outputs and count with it.
    await cell(editor.page, 1).locator('[data-testid="cell-prompt"]').click();
    await editor.page.keyboard.press('Control+Shift+ArrowDown');
    await expect.poll(() => cellText(viewer.page, 2)).toBe('print("plotted")');
    await expectCount(printed(viewer, 2), 1);
    expect(await cell(viewer.page, 2).locator('[data-testid="cell-prompt"]').innerText()).toBe('[7]:');

    // Delete it, then undo: it comes back for everyone, without the outputs.
    await editor.page.keyboard.press('d');
    await editor.page.keyboard.press('d');
    await expectCount(viewer.page.locator('[data-cell-id]'), 2);
    await editor.page.keyboard.press('z');
    await expectCount(viewer.page.locator('[data-cell-id]'), 3);
    expect(await cellText(viewer.page, 2)).toBe('print("plotted")');

    // Copy and paste a cell: the copy arrives for everyone.
    await cell(editor.page, 0).locator('[data-testid="cell-prompt"]').click();
    await editor.page.keyboard.press('c');
    await editor.page.keyboard.press('v');
    await expectCount(viewer.page.locator('[data-cell-id]'), 4);

    // The editor's edits still reach the viewer: nothing of theirs was refused.
    await editCell(editor.page, 0);
    await editor.page.keyboard.type(' # still in sync');
    await expect.poll(() => cellText(viewer.page, 0)).toBe('first = 1 # still in sync');
    await expectCount(editor.page.getByText('The server refused a change'), 0);
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
});
