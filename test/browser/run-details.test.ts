// What a code cell says about its last run: the line goes with the run's outputs, it says when
// the source was edited after the run, and a long traceback shows its last line.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { removeRoot, startTandem as startServer } from '../helpers/tandem';
import { cell, editCell, expectCount, notebookJson, openNotebook, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('the run line goes when its outputs are cleared', async () => {
  await putNotebook(s.tandem, 'cleared.ipynb', [{ source: 'print("hello")' }, { source: 'x = 1' }]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'cleared.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'cleared.ipynb', 'viewer'));
    await editCell(editor.page, 0);
    await editor.page.keyboard.press('Control+Enter');
    const done = (p: typeof viewer, i: number) => cell(p.page, i).locator('[data-testid="run-status"][data-status="ok"]');
    await done(viewer, 0).waitFor({ timeout: 90_000 });
    await cell(viewer.page, 0).locator('[data-testid="stream-output"]', { hasText: 'hello' }).waitFor();

    await editor.page.getByRole('button', { name: 'Edit', exact: true }).click();
    await editor.page.getByRole('menuitem', { name: 'Clear all outputs' }).click();
    await expectCount(cell(viewer.page, 0).locator('[data-testid="stream-output"]'), 0);
    await expectCount(cell(viewer.page, 0).getByTestId('run-status'), 0);
    await expectCount(cell(editor.page, 0).getByTestId('run-status'), 0);
    expect(await cell(viewer.page, 0).locator('[data-testid="cell-prompt"]').innerText()).toBe('[ ]:');
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 150_000);

// The notebook's outputs were cleared outside while the server was down (nbconvert
// --clear-output, a git checkout): the reloaded document keeps the run records but not the
// outputs, and the run line must not outlive them.
test('after a restart, a run whose outputs are gone shows no run line', async () => {
  let server = await startServer({ env: { TANDEM_LOG_LEVEL: 'warn' } });
  const p = await person(s.browser);
  const file = join(server.root, 'restart.ipynb');
  try {
    const put = await server.api('PUT', '/api/contents/restart.ipynb', {
      type: 'notebook',
      format: 'json',
      content: notebookJson([{ source: 'print("kept")' }]),
    });
    expect(put.status).toBeLessThan(300);
    await openNotebook(p, `${server.base}/notebooks/restart.ipynb?token=${server.token}`);
    await editCell(p.page, 0);
    await p.page.keyboard.press('Control+Enter');
    await cell(p.page, 0).locator('[data-testid="run-status"][data-status="ok"]').waitFor({ timeout: 90_000 });
    const savedOutputs = () => (JSON.parse(readFileSync(file, 'utf8')) as { cells: { outputs?: unknown[] }[] }).cells[0].outputs?.length ?? 0;
    await expect.poll(savedOutputs, { timeout: 10_000 }).toBe(1);
    await server.stop();

    const saved = JSON.parse(readFileSync(file, 'utf8')) as { cells: { outputs?: unknown[]; execution_count?: number | null }[] };
    for (const c of saved.cells) Object.assign(c, { outputs: [], execution_count: null });
    writeFileSync(file, JSON.stringify(saved, null, 1));
    server = await server.restart();
    await p.page.reload();
    await cell(p.page, 0).locator('[data-testid="cell-prompt"]', { hasText: '[ ]:' }).waitFor({ timeout: 20_000 });
    await expectCount(cell(p.page, 0).locator('.output'), 0);
    await expectCount(cell(p.page, 0).getByTestId('run-status'), 0);
    expect(p.errors).toEqual([]);
  } finally {
    await p.context.close();
    await server.stop();
    removeRoot(server.root);
  }
}, 150_000);

test('a cell edited since its run says so, to everyone, until its source is the one that ran', async () => {
  await putNotebook(s.tandem, 'edited.ipynb', [{ source: 'x = 1' }]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'edited.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'edited.ipynb', 'viewer'));
    await editCell(editor.page, 0);
    await editor.page.keyboard.press('Control+Enter');
    await cell(viewer.page, 0).locator('[data-testid="run-status"][data-status="ok"]').waitFor({ timeout: 90_000 });
    // The source is the one that ran.
    await expectCount(cell(viewer.page, 0).getByTestId('edited-since-run'), 0);

    await editCell(editor.page, 0);
    await editor.page.keyboard.type(' + 1');
    await cell(viewer.page, 0).getByTestId('edited-since-run').waitFor();
    await cell(editor.page, 0).getByTestId('edited-since-run').waitFor();
    await screenshot(viewer.page, 'run-edited-since');

    // Taking the edit back makes the source the one that ran again.
    for (let i = 0; i < 4; i++) await editor.page.keyboard.press('Backspace');
    await expectCount(cell(viewer.page, 0).getByTestId('edited-since-run'), 0);
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 150_000);

// Eighty distinct frames: IPython does not fold them, so the traceback is far taller than the
// output area's scroll box.
const DEEP_ERROR = [
  'src = "def f0():\\n    raise ValueError(\'the very last line\')\\n"',
  'src += "".join(f"def f{i}():\\n    return f{i - 1}()\\n" for i in range(1, 80))',
  'exec(src)',
  'f79()',
].join('\n');

test('a long traceback shows its last line, the error itself', async () => {
  await putNotebook(s.tandem, 'traceback.ipynb', [{ source: DEEP_ERROR }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'traceback.ipynb'));
    await editCell(p.page, 0);
    await p.page.keyboard.press('Control+Enter');
    const error = cell(p.page, 0).getByTestId('error-output');
    await error.waitFor({ timeout: 90_000 });
    await cell(p.page, 0).locator('.output-area.scrolled').waitFor();
    const seen = () =>
      error.evaluate((pre) => {
        const box = pre.closest('.box')!;
        const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
        let last: Text | null = null;
        for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent?.includes('the very last line')) last = n as Text;
        if (!last || box.scrollHeight <= box.clientHeight) return 'not a scrolled traceback';
        const range = document.createRange();
        range.selectNodeContents(last);
        const line = range.getBoundingClientRect();
        const view = box.getBoundingClientRect();
        return line.top >= view.top && line.bottom <= view.bottom ? 'visible' : 'hidden';
      });
    await expect.poll(seen, { timeout: 10_000 }).toBe('visible');
    await screenshot(p.page, 'traceback-last-line');

    // Opened afresh, the traceback is already there and still shows its end.
    await p.page.reload();
    await error.waitFor({ timeout: 20_000 });
    await expect.poll(seen, { timeout: 10_000 }).toBe('visible');
    expect(p.errors).toEqual([]);
  } finally {
    await p.context.close();
  }
}, 150_000);
