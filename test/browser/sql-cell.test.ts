// Queries and snapshots: everyone watching sees a SQL cell's query, which data it uses and
// why, and its result; editors pin snapshots and switch the notebook between reproducible and
// live; runners refresh and cancel. Uses the server's embedded demo database and a real
// kernel; the tests share one server, so the demo database starts once.
import { expect, test } from 'vitest';
import { cell, editCell, expectCount, openNotebook, ownerUrl, type Person, person, putNotebook, screenshot, shareLink } from './support/browser';
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

// Each run of this query returns other rows, so every snapshot of it is different.
const CLOCK = "%%sql demo --as clock\nSELECT clock_timestamp()::text AS fetched, 'one' AS label";

async function runCell(p: Person, index: number): Promise<void> {
  await editCell(p.page, index);
  await p.page.keyboard.press('Control+Enter');
}

test('an editor refreshes a SQL cell, lists its snapshots, pins an earlier one that the next run loads for everyone, and unpins it', async () => {
  await putNotebook(s.tandem, 'pins.ipynb', [{ source: CLOCK }]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'pins.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'pins.ipynb', 'viewer'));
    await runCell(editor, 0);
    const done = (p: Person) => cell(p.page, 0).locator('[data-testid="query-status"][data-phase="done"]');
    await done(viewer).waitFor({ timeout: 90_000 });

    // Refresh queries again and re-pins, whatever was pinned: the status line names the new pin.
    const firstPin = (await cell(viewer.page, 0).getByTestId('query-data').locator('code').first().innerText()).trim();
    await cell(editor.page, 0).getByTestId('refresh-query').click();
    await cell(viewer.page, 0).getByTestId('query-data').filter({ hasText: 'Pinned snapshot' }).filter({ hasNotText: firstPin }).waitFor({ timeout: 30_000 });
    await done(viewer).waitFor({ timeout: 30_000 });

    await cell(editor.page, 0).getByTestId('show-snapshots').click();
    const rows = cell(editor.page, 0).getByTestId('snapshot-row');
    await expectCount(rows, 2);
    expect(await rows.nth(0).getAttribute('data-pinned')).toBe('true');
    const earlier = (await rows.nth(1).getAttribute('data-snapshot-id'))!;

    // A viewer lists them too, but cannot pin.
    await cell(viewer.page, 0).getByTestId('show-snapshots').click();
    const seen = cell(viewer.page, 0).getByTestId('snapshot-row');
    await expectCount(seen, 2);
    await expectCount(cell(viewer.page, 0).getByRole('button', { name: 'Pin', exact: true }), 0);

    await rows.nth(1).getByRole('button', { name: 'Pin', exact: true }).click();
    await cell(viewer.page, 0).locator(`[data-testid="snapshot-row"][data-snapshot-id="${earlier}"][data-pinned="true"]`).waitFor();
    await cell(viewer.page, 0).getByText('pinned this snapshot; run the cell to load it').waitFor();
    await screenshot(editor.page, 'sql-snapshots');

    await runCell(editor, 0);
    await cell(viewer.page, 0).getByText('Reproducible: using the pinned snapshot').waitFor({ timeout: 30_000 });
    await done(viewer).waitFor({ timeout: 30_000 });
    await cell(viewer.page, 0)
      .locator('.output', { hasText: `pinned snapshot ${earlier.slice(0, 12)}` })
      .waitFor({ timeout: 30_000 });

    // Unpinning leaves the cell without a pin: its next run will query again.
    await rows.nth(1).getByRole('button', { name: 'Unpin', exact: true }).click();
    await cell(viewer.page, 0).getByText('unpinned the snapshot; the next run queries again').waitFor();
    await expectCount(cell(viewer.page, 0).locator('[data-testid="snapshot-row"][data-pinned="true"]'), 0);
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 150_000);

test('an editor switches the notebook to live, and every run then queries again, as everyone sees', async () => {
  await putNotebook(s.tandem, 'live.ipynb', [{ source: CLOCK }], { tandem: { owner: 'analytics' } });
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'live.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'live.ipynb', 'viewer'));
    await viewer.page.locator('[data-testid="query-mode"][data-mode="reproducible"]').waitFor();
    await editor.page.getByTestId('query-mode').getByRole('radio', { name: 'Live' }).click();
    await viewer.page.locator('[data-testid="query-mode"][data-mode="live"]').waitFor();
    // The switch writes metadata.tandem.queries and keeps the notebook's other Tandem keys.
    const model = await s.tandem.api<{ content: { metadata: { tandem?: unknown } } }>('GET', '/api/contents/live.ipynb?content=1');
    expect(model.content.metadata.tandem).toEqual({ owner: 'analytics', queries: 'live' });
    // Viewers see the mode but cannot change it.
    expect(await viewer.page.getByTestId('query-mode').getByRole('radio', { name: 'Live' }).isDisabled()).toBe(true);

    for (let run = 1; run <= 2; run++) {
      await runCell(editor, 0);
      await cell(viewer.page, 0).locator(`[data-testid="query-status"][data-phase="done"]`).waitFor({ timeout: 90_000 });
      // A live run pins nothing: the line names the snapshot it queried.
      await cell(viewer.page, 0).getByTestId('query-outcome').filter({ hasText: 'Queried: snapshot' }).waitFor();
      if (run === 1) {
        await cell(viewer.page, 0).getByTestId('show-snapshots').click();
        await expectCount(cell(viewer.page, 0).getByTestId('snapshot-row'), 1);
        // The prompt goes back to a count once the run has ended; the next run is another query.
        await cell(viewer.page, 0).locator('[data-testid="cell-prompt"]', { hasText: '[1]:' }).waitFor();
      }
    }
    // Two runs, two queries: the open list follows without being asked.
    await expectCount(cell(viewer.page, 0).getByTestId('snapshot-row'), 2, 30_000);
    await screenshot(viewer.page, 'sql-live-viewer');
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 150_000);

test('the person who ran a SQL cell cancels its query in flight, and everyone sees it stopped at the database', async () => {
  const endless = '%%sql demo --as big\nSELECT g, md5(g::text) AS h FROM (SELECT generate_series(1, 50000000) AS g) AS s';
  await putNotebook(s.tandem, 'cancel.ipynb', [{ source: endless }]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'cancel.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'cancel.ipynb', 'viewer'));
    await runCell(editor, 0);
    await cell(viewer.page, 0).locator('[data-testid="query-status"][data-phase="fetching"]').waitFor({ timeout: 90_000 });
    await expectCount(cell(viewer.page, 0).getByTestId('cancel-query'), 0);
    await cell(editor.page, 0).locator('[data-testid="query-status"][data-phase="fetching"]').waitFor();
    await screenshot(editor.page, 'sql-query-in-flight');

    await cell(editor.page, 0).getByTestId('cancel-query').click();
    await cell(viewer.page, 0).locator('[data-testid="query-status"][data-phase="cancelled"]').waitFor({ timeout: 10_000 });
    await cell(viewer.page, 0).getByText('the query was stopped at the database').first().waitFor();
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 150_000);
