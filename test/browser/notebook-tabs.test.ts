// Notebooks open in the app's own tab strip (issue 14, item 3): New notebook asks for a name,
// an open notebook's tab is reused, tabs close and disconnect, and the title renames in place.

import type { Page, WebSocket } from 'playwright-core';
import { expect, test } from 'vitest';
import { expectCount, ownerUrl, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

const tabsOf = (page: Page) => page.getByTestId('notebook-tab');
const activeTabPath = (page: Page) => page.locator('[data-testid="notebook-tab"]:has([aria-selected="true"])').getAttribute('data-path');
const pathname = (page: Page) => decodeURIComponent(new URL(page.url()).pathname);

async function folder(name: string): Promise<void> {
  await s.tandem.api('PUT', `/api/contents/${name}`, { type: 'directory' });
}

async function namesIn(dir: string): Promise<string[]> {
  const model = await s.tandem.api<{ content: { name: string }[] }>('GET', `/api/contents/${dir}?content=1`);
  return model.content.map((c) => c.name).sort();
}

async function fileIdOf(path: string): Promise<string> {
  const session = await s.tandem.api<{ fileId: string }>('PUT', `/api/collaboration/session/${encodeURI(path)}`, { format: 'json', type: 'notebook' });
  return session.fileId;
}

test('New notebook asks for a name, creates the file with it and opens it in the app’s tab strip', async () => {
  await folder('naming');
  const p = await person(s.browser);
  try {
    await p.page.goto(`${s.tandem.url}/tree/naming?token=${s.tandem.token}`);
    await p.page.locator('table.files').waitFor();
    await p.page.getByRole('button', { name: 'New notebook' }).click();
    const dialog = p.page.getByRole('dialog', { name: 'New notebook' });
    const name = dialog.getByLabel('Name');
    expect(await name.inputValue()).toBe('Untitled.ipynb');
    await name.fill('Quarterly report');
    await dialog.getByRole('button', { name: 'Create' }).click();

    await p.page.locator('[data-cell-id]').first().waitFor({ timeout: 20_000 });
    await expectCount(tabsOf(p.page), 1);
    expect(await activeTabPath(p.page)).toBe('naming/Quarterly report.ipynb');
    expect(pathname(p.page)).toBe('/notebooks/naming/Quarterly report.ipynb');
    expect(await p.page.getByTestId('notebook-title').innerText()).toBe('Quarterly report');
    // Inside the app: no second browser tab, and no untitled file left behind.
    expect(p.context.pages()).toHaveLength(1);
    expect(await namesIn('naming')).toEqual(['Quarterly report.ipynb']);

    // The same name again is refused in the dialog, which stays open; nothing is created.
    await p.page.getByRole('tab', { name: 'Files' }).click();
    await p.page.getByRole('button', { name: 'New notebook' }).click();
    expect(await name.inputValue()).toBe('Untitled.ipynb');
    await name.fill('Quarterly report.ipynb');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    await screenshot(p.page, 'new-notebook-name-taken');
    expect(await namesIn('naming')).toEqual(['Quarterly report.ipynb']);
    await expectCount(tabsOf(p.page), 1);
  } finally {
    await p.context.close();
  }
});

test('opening a notebook that is already open focuses its tab; closing a tab disconnects it', async () => {
  await folder('focus');
  await putNotebook(s.tandem, 'focus/a.ipynb', [{ source: 'a = 1' }]);
  await putNotebook(s.tandem, 'focus/b.ipynb', [{ source: 'b = 2' }]);
  const bFileId = await fileIdOf('focus/b.ipynb');
  const p = await person(s.browser);
  const sockets: WebSocket[] = [];
  p.page.on('websocket', (ws) => sockets.push(ws));
  const row = (name: string) => p.page.locator(`tr[data-path="focus/${name}"] a`).first();
  try {
    await p.page.goto(`${s.tandem.url}/tree/focus?token=${s.tandem.token}`);
    // A double click, as people do on files, opens one tab (it used to open two browser tabs).
    await row('a.ipynb').dblclick();
    await p.page.getByText('a = 1').waitFor({ timeout: 20_000 });
    await expectCount(tabsOf(p.page), 1);
    expect(p.context.pages()).toHaveLength(1);

    // Opening it again from the file browser, by click or by Enter, focuses the same tab.
    await p.page.getByRole('tab', { name: 'Files' }).click();
    await row('a.ipynb').click();
    await p.page.getByText('a = 1').waitFor();
    await expectCount(tabsOf(p.page), 1);
    await p.page.getByRole('tab', { name: 'Files' }).click();
    await row('a.ipynb').focus();
    await p.page.keyboard.press('Enter');
    await expect.poll(() => pathname(p.page)).toBe('/notebooks/focus/a.ipynb');
    await expectCount(tabsOf(p.page), 1);

    // A second notebook gets a second tab; the address follows the tab shown.
    await p.page.getByRole('tab', { name: 'Files' }).click();
    await row('b.ipynb').click();
    await p.page.getByText('b = 2').waitFor({ timeout: 20_000 });
    await expectCount(tabsOf(p.page), 2);
    await screenshot(p.page, 'notebook-tabs');
    await p.page.getByRole('tab', { name: 'a.ipynb' }).click();
    expect(pathname(p.page)).toBe('/notebooks/focus/a.ipynb');
    expect(await activeTabPath(p.page)).toBe('focus/a.ipynb');
    // Back returns to the previous tab; a reload keeps both.
    await p.page.goBack();
    await expect.poll(() => activeTabPath(p.page)).toBe('focus/b.ipynb');
    await p.page.reload();
    await p.page.getByText('b = 2').waitFor({ timeout: 20_000 });
    await expectCount(tabsOf(p.page), 2);
    // Typing the address of an open notebook focuses its tab too. (Sockets of the pages
    // before are not followed further: a navigation ends them without a close event.)
    sockets.length = 0;
    await p.page.goto(ownerUrl(s.tandem, 'focus/a.ipynb'));
    await p.page.getByText('a = 1').waitFor({ timeout: 20_000 });
    await expectCount(tabsOf(p.page), 2);

    // Closing b's tab closes its room connection; a's stays open and is shown.
    await p.page.getByRole('tab', { name: 'b.ipynb' }).click();
    await p.page.getByText('b = 2').waitFor({ timeout: 20_000 });
    const bSocket = sockets.filter((ws) => ws.url().includes(bFileId) && !ws.isClosed());
    expect(bSocket.length).toBeGreaterThan(0);
    await p.page.getByRole('button', { name: 'Close b.ipynb' }).click();
    await expectCount(tabsOf(p.page), 1);
    expect(await activeTabPath(p.page)).toBe('focus/a.ipynb');
    await expect.poll(() => bSocket.every((ws) => ws.isClosed())).toBe(true);
    expect(sockets.some((ws) => !ws.url().includes(bFileId) && ws.url().includes('/api/collaboration/room/') && !ws.isClosed())).toBe(true);
  } finally {
    await p.context.close();
  }
});

test('renaming the title in place renames the file, and a collaborator sees the new name', async () => {
  await folder('retitle');
  await putNotebook(s.tandem, 'retitle/draft.ipynb', [{ source: 'x = 1' }]);
  await putNotebook(s.tandem, 'retitle/taken.ipynb', [{ source: 'y = 2' }]);
  const me = await person(s.browser);
  const other = await person(s.browser);
  try {
    await me.page.goto(ownerUrl(s.tandem, 'retitle/draft.ipynb'));
    await other.page.goto(ownerUrl(s.tandem, 'retitle/draft.ipynb'));
    await me.page.locator('[data-cell-id]').first().waitFor({ timeout: 20_000 });
    await other.page.locator('[data-cell-id]').first().waitFor({ timeout: 20_000 });

    // A name that is taken is refused in place, and nothing changes.
    await me.page.getByTestId('notebook-title').click();
    const field = me.page.getByLabel('Notebook name');
    await field.fill('taken');
    await field.press('Enter');
    await me.page.getByRole('alert').filter({ hasText: '“taken.ipynb” already exists' }).waitFor();
    await screenshot(me.page, 'rename-in-place-taken');
    expect(await namesIn('retitle')).toEqual(['draft.ipynb', 'taken.ipynb']);
    // Esc gives up.
    await field.press('Escape');
    expect(await me.page.getByTestId('notebook-title').innerText()).toBe('draft');

    await me.page.getByTestId('notebook-title').click();
    await field.fill('final');
    await field.press('Enter');
    await expect.poll(() => me.page.getByTestId('notebook-title').innerText()).toBe('final');
    expect(await namesIn('retitle')).toEqual(['final.ipynb', 'taken.ipynb']);
    await expect.poll(() => pathname(me.page)).toBe('/notebooks/retitle/final.ipynb');
    expect(await activeTabPath(me.page)).toBe('retitle/final.ipynb');

    // The collaborator's title, tab and address follow the room's state.path.
    await expect.poll(() => other.page.getByTestId('notebook-title').innerText(), { timeout: 10_000 }).toBe('final');
    await expect.poll(() => pathname(other.page)).toBe('/notebooks/retitle/final.ipynb');
    expect(await activeTabPath(other.page)).toBe('retitle/final.ipynb');
    await expectCount(tabsOf(other.page), 1);
  } finally {
    await me.context.close();
    await other.context.close();
  }
});

test('viewers and runners are not offered renaming', async () => {
  await putNotebook(s.tandem, 'no-rename.ipynb', [{ source: 'x = 1' }]);
  for (const role of ['viewer', 'runner'] as const) {
    const p = await person(s.browser);
    try {
      await p.page.goto(await shareLink(s.tandem, 'no-rename.ipynb', role));
      await p.page.locator('[data-cell-id]').first().waitFor({ timeout: 20_000 });
      const title = p.page.getByTestId('notebook-title');
      expect(await title.innerText()).toBe('no-rename');
      expect(await title.evaluate((el) => el.tagName)).toBe('SPAN');
      await title.click();
      await expectCount(p.page.getByLabel('Notebook name'), 0);
    } finally {
      await p.context.close();
    }
  }
});
