// Queries and snapshots: everyone watching sees a SQL cell's query, which data it uses and
// why, and its result. Uses the server's embedded demo database and a real kernel.
import { test } from 'vitest';
import { cell, editCell, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('a SQL cell shows its query, its data choice and its result to a viewer', async () => {
  await putNotebook(s.tandem, 'sql.ipynb', [{ source: '%%sql demo --as answer\nselect 42 as answer, 7 as other' }]);
  const analyst = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(analyst, ownerUrl(s.tandem, 'sql.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'sql.ipynb', 'viewer'));
    await editCell(analyst.page, 0);
    await analyst.page.keyboard.press('Control+Enter');

    const status = cell(viewer.page, 0).locator('[data-testid="query-status"][data-phase="done"]');
    await status.waitFor({ timeout: 90_000 });
    await status.getByText('1 row', { exact: false }).waitFor();
    await cell(viewer.page, 0).getByText('Reproducible', { exact: true }).waitFor();
    await cell(viewer.page, 0).locator('.output td', { hasText: '42' }).first().waitFor({ timeout: 30_000 });
    await screenshot(viewer.page, 'notebook-sql-viewer');
  } finally {
    await analyst.context.close();
    await viewer.context.close();
  }
}, 150_000);
