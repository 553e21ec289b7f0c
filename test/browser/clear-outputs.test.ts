// Clearing outputs, as in JupyterLab's Edit menu: the selected cells' or all of them, with
// their execution counts, through the shared document so everyone sees them go. The outputs
// come from the file, so no kernel is needed.
import { expect, test } from 'vitest';
import { cell, expectCount, openNotebook, ownerUrl, person, putNotebook, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

const printed = (text: string, n: number) => ({
  source: `print(${JSON.stringify(text)})`,
  execution_count: n,
  outputs: [{ output_type: 'stream', name: 'stdout', text: `${text}\n` }],
});

test('an editor clears one cell’s outputs, then all outputs, and a viewer sees them go', async () => {
  await putNotebook(s.tandem, 'clear.ipynb', [printed('first', 1), { type: 'markdown', source: '# Notes' }, printed('second', 2), printed('third', 3)]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'clear.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'clear.ipynb', 'viewer'));
    const outputs = (p: typeof editor) => p.page.locator('[data-testid="stream-output"]');
    await expectCount(outputs(viewer), 3);

    await cell(editor.page, 2).locator('[data-testid="cell-prompt"]').click();
    await editor.page.getByRole('button', { name: 'Edit', exact: true }).click();
    await editor.page.getByRole('menuitem', { name: 'Clear outputs of selected cells' }).click();
    await expectCount(outputs(viewer), 2);
    expect(await cell(viewer.page, 2).locator('[data-testid="cell-prompt"]').innerText()).toBe('[ ]:');
    expect(await cell(viewer.page, 3).locator('[data-testid="stream-output"]').innerText()).toContain('third');

    await editor.page.getByRole('button', { name: 'Edit', exact: true }).click();
    await editor.page.getByRole('menuitem', { name: 'Clear all outputs' }).click();
    await expectCount(outputs(viewer), 0);
    await expectCount(outputs(editor), 0);
    expect(await viewer.page.locator('[data-testid="cell-prompt"]').allInnerTexts()).toEqual(['[ ]:', '', '[ ]:', '[ ]:']);
    // A viewer has no Edit menu to clear anything with.
    await expectCount(viewer.page.getByRole('button', { name: 'Edit', exact: true }), 0);
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
});
