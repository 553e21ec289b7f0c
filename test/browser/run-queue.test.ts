// Live-shared sessions: everyone sees whose run is running and whose waits, and input() is
// answered by the person who asked for it. Needs the execution API and ipykernel.
import { expect, test } from 'vitest';
import { cell, editCell, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('queued and running cells show [*], their place in the queue and who asked, to everyone', async () => {
  await putNotebook(s.tandem, 'queue.ipynb', [
    { source: 'import time\ntime.sleep(4)\nprint("slow done")' },
    { source: 'print("second")' },
    { source: 'print("third")' },
  ]);
  const runner = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(runner, ownerUrl(s.tandem, 'queue.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'queue.ipynb', 'viewer'));

    // Warm the kernel first, so the queue is observed while the slow cell runs.
    await editCell(runner.page, 1);
    await runner.page.keyboard.press('Control+Enter');
    await cell(viewer.page, 1).locator('[data-testid="stream-output"]', { hasText: 'second' }).waitFor({ timeout: 90_000 });

    await cell(runner.page, 0).locator('[data-testid="cell-prompt"]').click();
    await runner.page.keyboard.press('Shift+Enter'); // runs cell 0, selects cell 1
    await runner.page.keyboard.press('Shift+Enter'); // queues cell 1
    await runner.page.keyboard.press('Shift+Enter'); // queues cell 2

    const status = (i: number) => cell(viewer.page, i).locator('[data-testid="run-status"]');
    await status(0).and(viewer.page.locator('[data-status="running"]')).waitFor({ timeout: 20_000 });
    expect(await cell(viewer.page, 0).locator('[data-testid="cell-prompt"]').innerText()).toBe('[*]:');
    await status(2).and(viewer.page.locator('[data-status="queued"]')).waitFor();
    // The cells queue in the order they were asked for (once, concurrent requests could reach
    // the server out of order and make cell 1 the 2nd in line).
    await expect.poll(() => status(1).innerText()).toMatch(/Queued · 1st in line · asked by /);
    await expect.poll(() => status(2).innerText()).toMatch(/Queued · 2nd in line · asked by /);
    expect(await cell(viewer.page, 2).locator('[data-testid="cell-prompt"]').innerText()).toBe('[*]:');
    await viewer.page.locator('[data-testid="queue-summary"]', { hasText: '2 queued' }).waitFor();
    await screenshot(viewer.page, 'notebook-queue-viewer');

    // Then everything finishes, in order, and the prompts show counts again.
    await cell(viewer.page, 2).locator('[data-testid="stream-output"]', { hasText: 'third' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => cell(viewer.page, 2).locator('[data-testid="cell-prompt"]').innerText()).toMatch(/\[\d+\]:/);
    expect(await cell(viewer.page, 0).locator('.output').first().innerText()).toContain('slow done');
  } finally {
    await runner.context.close();
    await viewer.context.close();
  }
}, 150_000);

test('input() asks the person who ran the cell, and tells everyone else who it waits for', async () => {
  await putNotebook(s.tandem, 'input.ipynb', [{ source: 'name = input("Your name: ")\nprint("Hello, " + name)' }]);
  const asker = await person(s.browser);
  const other = await person(s.browser);
  try {
    await openNotebook(asker, ownerUrl(s.tandem, 'input.ipynb'));
    await openNotebook(other, await shareLink(s.tandem, 'input.ipynb', 'editor'));
    await editCell(asker.page, 0);
    await asker.page.keyboard.press('Control+Enter');

    const field = cell(asker.page, 0).getByLabel('Your name:');
    await field.waitFor({ timeout: 90_000 });
    await cell(other.page, 0).locator('[data-testid="input-request"]', { hasText: 'Waiting for' }).waitFor();
    expect(await cell(other.page, 0).getByLabel('Your name:').count()).toBe(0);
    await screenshot(asker.page, 'notebook-input-prompt');

    await field.fill('Ada');
    await field.press('Enter');
    await cell(other.page, 0).locator('[data-testid="stream-output"]', { hasText: 'Hello, Ada' }).waitFor({ timeout: 20_000 });
    await cell(asker.page, 0).locator('[data-testid="input-request"]').waitFor({ state: 'detached' });
  } finally {
    await asker.context.close();
    await other.context.close();
  }
}, 150_000);

test('restarting asks first only when a kernel holds everyone’s variables', async () => {
  await putNotebook(s.tandem, 'restart.ipynb', [{ source: 'x = 41\nprint(x + 1)' }]);
  const runner = await person(s.browser);
  try {
    await openNotebook(runner, ownerUrl(s.tandem, 'restart.ipynb'));
    const page = runner.page;
    const kernel = page.locator('[data-testid="kernel-status"]');
    await expect.poll(() => kernel.getAttribute('data-status')).toBe('none');

    // No kernel yet: nothing to lose, so Restart starts one without a question.
    await page.getByRole('button', { name: 'Restart', exact: true }).click();
    await kernel.and(page.locator('[data-status="idle"]')).waitFor({ timeout: 90_000 });
    expect(await page.getByRole('dialog').count()).toBe(0);

    // A kernel with state: Restart asks, and Cancel leaves the state in place.
    await editCell(page, 0);
    await page.keyboard.press('Control+Enter');
    await cell(page, 0).locator('[data-testid="stream-output"]', { hasText: '42' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Restart', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('all variables will be lost for everyone');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await kernel.getAttribute('data-status')).toBe('idle');
  } finally {
    await runner.context.close();
  }
}, 150_000);
