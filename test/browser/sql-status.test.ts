// A SQL cell's status while and after it runs: one progress line during the run, and once it
// has run, the snapshot the cell now holds (its id, rows and when its data was fetched) instead
// of the reason given before the run; ages in the snapshot list keep counting. Uses the
// server's embedded demo database and a real kernel.
import { expect, test } from 'vitest';
import { cell, editCell, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

interface Contents {
  content: { cells: { metadata: { tandem?: { snapshot?: string } } }[] };
}

async function pinOf(path: string): Promise<string | undefined> {
  const model = await s.tandem.api<Contents>('GET', `/api/contents/${path}?content=1`);
  return model.content.cells[0].metadata.tandem?.snapshot;
}

test('after a run, the SQL status line names the snapshot it pinned, not the reason given before', async () => {
  await putNotebook(s.tandem, 'status.ipynb', [{ source: '%%sql demo --as answer\nselect 42 as answer' }]);
  const analyst = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(analyst, ownerUrl(s.tandem, 'status.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'status.ipynb', 'viewer'));
    await editCell(analyst.page, 0);
    await analyst.page.keyboard.press('Control+Enter');

    await cell(viewer.page, 0).locator('[data-testid="query-status"][data-phase="done"]').waitFor({ timeout: 90_000 });
    const pin = await pinOf('status.ipynb');
    expect(pin).toMatch(/^[0-9a-f]{12,}/);
    const line = cell(viewer.page, 0).getByTestId('query-data');
    const text = ((await line.textContent()) ?? '').replace(/\s+/g, ' ');
    expect(text).toContain(`Pinned snapshot ${pin!.slice(0, 12)}`);
    expect(text).toMatch(/· 1 row\b/);
    expect(text).toMatch(/fetched \S.* \(just now\)/);
    expect(text).not.toContain('no snapshot pinned yet');
    await screenshot(viewer.page, 'sql-status-after-run');
    // The run's own line is the cell's only other status line.
    await expectCount(cell(viewer.page, 0).locator('[data-testid="run-status"][data-status="ok"]'), 1);
    expect([...analyst.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await analyst.context.close();
    await viewer.context.close();
  }
}, 150_000);

test('a running SQL cell shows one progress line', async () => {
  await putNotebook(s.tandem, 'slow.ipynb', [{ source: '%%sql demo --as slow\nSELECT 1 AS x FROM pg_sleep(3)' }]);
  const analyst = await person(s.browser);
  try {
    await openNotebook(analyst, ownerUrl(s.tandem, 'slow.ipynb'));
    await editCell(analyst.page, 0);
    await analyst.page.keyboard.press('Control+Enter');
    const running = cell(analyst.page, 0).locator('[data-testid="query-status"][data-phase="running"]');
    await running.waitFor({ timeout: 90_000 });
    // The query's line carries the clock, the spinner and Cancel; the run's own line stays away.
    await expectCount(cell(analyst.page, 0).locator('.spinner'), 1);
    await expectCount(cell(analyst.page, 0).getByTestId('run-status'), 0);
    await expectCount(cell(analyst.page, 0).getByTestId('cancel-query'), 1);
    await screenshot(analyst.page, 'sql-status-running');
    await cell(analyst.page, 0).locator('[data-testid="query-status"][data-phase="done"]').waitFor({ timeout: 60_000 });
    await expectCount(cell(analyst.page, 0).locator('.spinner'), 0);
    expect(analyst.errors).toEqual([]);
  } finally {
    await analyst.context.close();
  }
}, 150_000);

test('"just now" in the snapshot list becomes minutes as time passes', async () => {
  await putNotebook(s.tandem, 'ages.ipynb', [{ source: '%%sql demo --as answer\nselect 7 as answer' }]);
  const analyst = await person(s.browser);
  try {
    // The page's clock runs as usual until the test moves it on.
    await analyst.page.clock.install();
    await openNotebook(analyst, ownerUrl(s.tandem, 'ages.ipynb'));
    await editCell(analyst.page, 0);
    await analyst.page.keyboard.press('Control+Enter');
    await cell(analyst.page, 0).locator('[data-testid="query-status"][data-phase="done"]').waitFor({ timeout: 90_000 });
    await cell(analyst.page, 0).getByTestId('show-snapshots').click();
    const age = cell(analyst.page, 0).getByTestId('snapshot-age');
    await age.filter({ hasText: 'just now' }).waitFor();
    await analyst.page.clock.fastForward('03:00');
    await age.filter({ hasText: '3 minutes ago' }).waitFor({ timeout: 10_000 });
    await cell(analyst.page, 0).getByTestId('query-data').filter({ hasText: '(3 minutes ago)' }).waitFor({ timeout: 10_000 });
    await screenshot(analyst.page, 'sql-snapshot-ages');
  } finally {
    await analyst.context.close();
  }
}, 150_000);
