// Jobs in the browser (issue 20, the client): a person runs the notebook as a job from the Run as
// job dialog with a parameter, watches it finish, publishes it, sees it in the Runs panel as
// succeeded and opens its report with the parameterised output; reproduces it and reads the
// cell-by-cell diff; watches a job's progress live with a viewer, and cancels one; sets a
// schedule and sees the next run spelled out, and an invalid cron expression is refused with the
// server's reason; sees a scheduled run and opens the schedule's report. A viewer sees the runs
// and opens a published report, but cannot start, reproduce, publish or schedule.
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { expectCount, notebookJson, openNotebook, ownerUrl, person, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

// The manual clock: no scheduled run fires while the test sets schedules.
const s = useSuite({ args: ['--warm-pool', '0', '--scheduler-clock', 'manual'] });
const PATH = 'squares.ipynb';
const JOB_TIMEOUT = 90_000;
const WAIT_FOR_SIGNAL = "import os, time\nwhile not os.path.exists('go-signal'):\n    time.sleep(0.05)";

async function putParameterisedNotebook(): Promise<void> {
  const content = notebookJson([
    { type: 'markdown', source: '# Squares' },
    { source: 'n = 3  # how far to count\nunit = "cm"' },
    { source: "print(f'n squared is {n * n}, unit {unit!r}')" },
    // Differs on every run: a reproduction must show it as changed, with the difference.
    { source: 'import time\nprint(time.time_ns())' },
  ]);
  (content.cells as { metadata: Record<string, unknown> }[])[1]!.metadata = { tags: ['parameters'] };
  await s.tandem.api('PUT', `/api/contents/${PATH}`, { type: 'notebook', format: 'json', content });
}

const runMenu = (page: Page) => page.locator('button[aria-haspopup="menu"]', { hasText: /^Run$/ });
const runs = (page: Page) => page.getByTestId('runs-panel').getByTestId('run');

async function openRunsPanel(page: Page): Promise<void> {
  await page.getByTestId('runs-button').click();
  await page.getByTestId('runs-panel').waitFor();
}

test('a job run from the dialog with a parameter succeeds, shows in Runs, and its report has the parameterised output; Reproduce shows the diff', async () => {
  await putParameterisedNotebook();
  const editor = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, PATH));
    await runMenu(editor.page).click();
    await editor.page.getByRole('menuitem', { name: 'Run as job…' }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Run as job' });
    await dialog.waitFor();
    // The parameters cell's names, with their defaults as written.
    const n = dialog.getByLabel('Parameter n');
    expect(await n.getAttribute('placeholder')).toBe('3  # how far to count');
    await n.fill('7');
    expect(await dialog.getByLabel('Parameter unit').getAttribute('placeholder')).toBe('"cm"');
    // Quoted, as in Python: text, although it looks like a number.
    await dialog.getByLabel('Parameter unit').fill('"7"');
    await screenshot(editor.page, 'run-job-form');
    await dialog.getByTestId('start-job').click();
    // Live progress from the document's jobs map, until it has run every cell.
    const status = dialog.getByTestId('job-progress');
    await dialog.locator('[data-testid="job-progress"][data-status="ok"]').waitFor({ timeout: JOB_TIMEOUT });
    expect(await status.innerText()).toMatch(/^Finished in /);
    await dialog.getByTestId('publish-job').click();
    const readerLink = await dialog.getByTestId('reader-link').inputValue();
    expect(readerLink).toMatch(/\/reports\/[0-9a-f-]+\?token=/);
    await screenshot(editor.page, 'run-job-dialog');

    await dialog.getByRole('button', { name: 'Show in Runs' }).click();
    await expectCount(dialog, 0);
    const panel = editor.page.getByTestId('runs-panel');
    await panel.waitFor();
    await expectCount(runs(editor.page), 1);
    const run = runs(editor.page).first();
    expect(await run.getAttribute('data-status')).toBe('ok');
    expect(await run.getByTestId('run-status').innerText()).toBe('Succeeded');
    expect(await run.getByTestId('run-mode').innerText()).toBe('reproducible');
    expect(await run.getByTestId('run-parameters').innerText()).toBe('n = 7, unit = "7"');
    expect(await run.innerText()).toContain('you');

    // The report, in a tab of its own, as this signed-in person (not through the reader link).
    const [report] = await Promise.all([editor.context.waitForEvent('page'), run.getByTestId('run-report').click()]);
    await report.getByTestId('report').getByText("n squared is 49, unit '7'").waitFor();
    expect(await report.getByTestId('report').innerText()).not.toContain('n squared is 9');
    expect(await report.getByTestId('report').innerText()).toContain('Parameters: n = 7, unit = "7"');
    await report.close();

    // The run itself, opened as a read-only notebook: its code (the injected parameters
    // included) beside its outputs.
    const [opened] = await Promise.all([editor.context.waitForEvent('page'), run.getByTestId('run-open').click()]);
    const page = opened.getByTestId('report');
    await page.getByText("n squared is 49, unit '7'").waitFor();
    await page.locator('details.code[open] pre', { hasText: 'n = 7' }).first().waitFor();
    await opened.close();

    // Reproduce: a new run on the same data, parameters and environment, compared cell by cell.
    await run.getByTestId('run-reproduce').click();
    await expectCount(runs(editor.page), 2);
    const reproduction = runs(editor.page).first();
    await editor.page.locator('[data-testid="run"][data-status="ok"] [data-testid="run-reproduces"]').waitFor({ timeout: JOB_TIMEOUT });
    expect(await reproduction.getByTestId('run-reproduces').innerText()).toMatch(/^Reproduction of the run of .+: 2 of 3 cells identical$/);
    const diff = reproduction.getByTestId('reproduction-diff');
    await diff.getByTestId('reproduction-tally').waitFor({ timeout: JOB_TIMEOUT });
    expect(await diff.getByTestId('reproduction-tally').innerText()).toMatch(/2 of 3 cells identical$/);
    await expectCount(diff.locator('[data-testid="diff-cell"][data-status="identical"]'), 2);
    const changed = diff.locator('[data-testid="diff-cell"][data-status="changed"]');
    await expectCount(changed, 1);
    expect(await changed.innerText()).toContain('3. import time');
    // Cells are named by their place and first line in the notebook.
    expect(await diff.getByTestId('diff-cell').first().innerText()).toMatch(/^identical\s+1\. n = 3\s+# how far to count$/);
    const patch = await changed.locator('pre').innerText();
    expect(patch).toMatch(/^@@ .+ @@/);
    expect(patch).toMatch(/^-\d+$/m);
    expect(patch).toMatch(/^\+\d+$/m);
    await screenshot(editor.page, 'runs-panel-reproduction');
    expect(editor.errors).toEqual([]);
  } finally {
    await editor.context.close();
  }
});

test("everyone on the notebook sees a running job's progress live, and Cancel in the Runs panel stops one", async () => {
  // The second cell waits for a file the test writes once it has seen the job there.
  const waits = notebookJson([{ source: "print('start')" }, { source: WAIT_FOR_SIGNAL }, { source: "print('done')" }]);
  await s.tandem.api('PUT', '/api/contents/waits.ipynb', { type: 'notebook', format: 'json', content: waits });
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'waits.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'waits.ipynb', 'viewer'));
    await openRunsPanel(viewer.page);

    // From the command palette this time.
    await editor.page.keyboard.press('Control+Shift+C');
    await editor.page.keyboard.type('run as job');
    await editor.page.keyboard.press('Enter');
    const dialog = editor.page.getByRole('dialog', { name: 'Run as job' });
    expect(await dialog.getByTestId('run-job-form').innerText()).toContain('tag the cell that assigns their defaults parameters');
    await dialog.getByTestId('start-job').click();
    const running = '[data-testid="job-progress"][data-status="running"]';
    await dialog.locator(running, { hasText: 'Running cell 2 of 3' }).waitFor({ timeout: JOB_TIMEOUT });
    // The viewer watches the same job: counted on the Runs button, its cell in the panel.
    await expect.poll(() => viewer.page.getByTestId('running-jobs').textContent()).toBe('1');
    await viewer.page.getByTestId('runs-panel').locator(running, { hasText: 'Running cell 2 of 3' }).waitFor();
    await screenshot(viewer.page, 'runs-panel-running');
    await s.tandem.api('PUT', '/api/contents/go-signal', { type: 'file', format: 'text', content: 'go' });
    await dialog.locator('[data-testid="job-progress"][data-status="ok"]').waitFor({ timeout: JOB_TIMEOUT });
    await viewer.page.locator('[data-testid="run"][data-status="ok"]').waitFor({ timeout: JOB_TIMEOUT });
    await expectCount(viewer.page.getByTestId('running-jobs'), 0);
    await dialog.getByRole('button', { name: 'Close' }).last().click();

    // A job that waits again, cancelled from the panel.
    await s.tandem.api('DELETE', '/api/contents/go-signal');
    await openRunsPanel(editor.page);
    await editor.page.getByTestId('panel-run-job').click();
    await dialog.getByTestId('start-job').click();
    await dialog.locator(running, { hasText: 'Running cell 2 of 3' }).waitFor({ timeout: JOB_TIMEOUT });
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    const panel = editor.page.getByTestId('runs-panel');
    await panel.locator('[data-testid="run"][data-status="running"]').getByTestId('run-cancel').click();
    await panel.locator('[data-testid="run"][data-status="cancelled"]').waitFor({ timeout: JOB_TIMEOUT });
    await viewer.page.locator('[data-testid="run"][data-status="cancelled"]').waitFor({ timeout: JOB_TIMEOUT });
    expect(editor.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
});

test('a schedule set in the Runs panel shows its next run; an invalid cron expression is refused with the reason, changing nothing', async () => {
  await putParameterisedNotebook();
  const editor = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, PATH));
    await openRunsPanel(editor.page);
    const schedule = editor.page.getByTestId('schedule');
    await schedule.getByLabel('Cron expression').fill('30 7 * * 1-5');
    await schedule.getByLabel('Time zone').fill('Europe/Oslo');
    await schedule.getByTestId('save-schedule').click();
    await schedule.getByTestId('next-run').waitFor();
    expect(await schedule.getByTestId('schedule-current').innerText()).toBe('Runs 30 7 * * 1-5 in Europe/Oslo, live (SQL cells query again).');
    const next = await schedule.getByTestId('next-run').innerText();
    // Spelled out in the schedule's time zone: a weekday at 07:30.
    expect(next).toMatch(/^Next run: (Mon|Tue|Wed|Thu|Fri), .+07:30.+\(in .+\)$/);
    // It is the notebook's metadata, where it travels with the file.
    const model = await s.tandem.api<{ content: { metadata: { tandem?: unknown } } }>('GET', `/api/contents/${PATH}?content=1`);
    expect(model.content.metadata.tandem).toEqual({ schedule: { cron: '30 7 * * 1-5', timezone: 'Europe/Oslo' } });

    await schedule.getByLabel('Cron expression').fill('61 7 * * *');
    await schedule.getByTestId('save-schedule').click();
    const error = schedule.getByTestId('schedule-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/^Invalid cron expression "61 7 \* \* \*": .+/);
    await screenshot(editor.page, 'schedule-invalid-cron');
    // Nothing changed: the schedule and its next run are the ones saved before.
    expect(await schedule.getByTestId('schedule-current').innerText()).toContain('30 7 * * 1-5');
    expect(await schedule.getByTestId('next-run').innerText()).toBe(next);
    const info = await s.tandem.api<{ schedule: unknown }>('GET', `/api/notebooks/${await fileIdOf(PATH)}/schedule`);
    expect(info.schedule).toEqual({ cron: '30 7 * * 1-5', timezone: 'Europe/Oslo' });

    await schedule.getByTestId('clear-schedule').click();
    await expectCount(schedule.getByTestId('next-run'), 0);
    expect(editor.errors).toEqual([]);
  } finally {
    await editor.context.close();
  }
});

test('a scheduled run shows in Runs and in the schedule, whose report opens and gets a reader link', async () => {
  await putParameterisedNotebook();
  const editor = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, PATH));
    await openRunsPanel(editor.page);
    const schedule = editor.page.getByTestId('schedule');
    await schedule.getByLabel('Cron expression').fill('*/5 * * * *');
    await schedule.getByLabel('Time zone').fill('UTC');
    await schedule.getByTestId('save-schedule').click();
    await schedule.getByTestId('next-run').waitFor();
    // The server's clock is the test's (--scheduler-clock manual): move it past the next slot.
    const { started } = await s.tandem.api<{ started: string[] }>('POST', '/api/scheduler/tick', { at: Date.now() + 10 * 60_000 });
    expect(started).toEqual([await fileIdOf(PATH)]);
    const scheduled = editor.page.locator('[data-testid="run"][data-status="ok"]', { hasText: 'Schedule' }).first();
    await scheduled.waitFor({ timeout: JOB_TIMEOUT });
    expect(await scheduled.getByTestId('run-mode').innerText()).toBe('live');
    await schedule.getByText('Latest scheduled run: succeeded').waitFor();
    const [report] = await Promise.all([editor.context.waitForEvent('page'), schedule.getByTestId('schedule-report').click()]);
    await report.getByTestId('report').getByText("n squared is 9, unit 'cm'").waitFor();
    await report.close();
    await schedule.getByRole('button', { name: 'Reader link' }).click();
    expect(await schedule.getByTestId('reader-link').inputValue()).toMatch(/\/reports\/[0-9a-f-]+\?token=/);
    await schedule.getByTestId('clear-schedule').click();
    await expectCount(schedule.getByTestId('next-run'), 0);
    expect(editor.errors).toEqual([]);
  } finally {
    await editor.context.close();
  }
});

test('a viewer sees the Runs panel and the runs, but no way to run a job, reproduce, publish or schedule', async () => {
  await putParameterisedNotebook();
  const fileId = await fileIdOf(PATH);
  const { id } = await s.tandem.api<{ id: string }>('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'live', parameters: { n: 4 } });
  const viewer = await person(s.browser);
  try {
    await openNotebook(viewer, await shareLink(s.tandem, PATH, 'viewer'));
    await openRunsPanel(viewer.page);
    const run = viewer.page.locator(`[data-testid="run"][data-run-id="${id}"]`);
    await viewer.page.locator(`[data-testid="run"][data-run-id="${id}"][data-status="ok"]`).waitFor({ timeout: JOB_TIMEOUT });
    expect(await run.getByTestId('run-parameters').innerText()).toBe('n = 4');
    expect(await run.getByTestId('run-mode').innerText()).toBe('live');
    await expectCount(viewer.page.getByTestId('panel-run-job'), 0);
    await expectCount(run.getByTestId('run-reproduce'), 0);
    await expectCount(run.getByTestId('run-publish'), 0);
    await expectCount(viewer.page.getByTestId('schedule-form'), 0);
    await expectCount(runMenu(viewer.page), 0);
    // Nor in the command palette.
    await viewer.page.keyboard.press('Control+Shift+C');
    const palette = viewer.page.getByRole('dialog', { name: 'Command palette' });
    await palette.waitFor();
    await viewer.page.keyboard.type('job');
    await expectCount(palette.getByRole('option').filter({ hasText: 'Run as job' }), 0);
    await viewer.page.keyboard.press('Escape');
    await screenshot(viewer.page, 'runs-panel-viewer');
    // Once an editor publishes it, the viewer opens its report from the panel.
    await s.tandem.api('POST', `/api/jobs/${id}/publish`, {});
    await viewer.page.getByTestId('runs-panel').getByRole('button', { name: 'Refresh the runs' }).click();
    const [report] = await Promise.all([viewer.context.waitForEvent('page'), run.getByTestId('run-report').click()]);
    await report.getByTestId('report').getByText('n squared is 16').waitFor();
    await report.close();
    expect(viewer.errors).toEqual([]);
  } finally {
    await viewer.context.close();
  }
});

async function fileIdOf(path: string): Promise<string> {
  return (await s.tandem.api<{ fileId: string }>('PUT', `/api/collaboration/session/${path}`, { format: 'json', type: 'notebook' })).fileId;
}
