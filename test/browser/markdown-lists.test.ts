// Markdown lists continue themselves on Enter, and a marker typed out of habit right after the
// one Enter put there replaces it instead of nesting: `- a⏎- b` stays a two-item list.
import { expect, test } from 'vitest';
import { cell, openNotebook, ownerUrl, person, putNotebook, screenshot } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

interface Contents {
  content: { cells: { source: string | string[] }[] };
}

async function sourceOf(path: string, index: number): Promise<string> {
  const model = await s.tandem.api<Contents>('GET', `/api/contents/${path}?content=1`);
  const source = model.content.cells[index].source;
  return Array.isArray(source) ? source.join('') : source;
}

async function editMarkdown(page: import('playwright-core').Page): Promise<void> {
  await cell(page, 0).getByText('Empty Markdown cell', { exact: false }).dblclick();
  await cell(page, 0).locator('.cm-content').waitFor();
  await cell(page, 0).locator('.cm-content').focus();
}

test('a markdown list typed with its markers is not doubled', async () => {
  await putNotebook(s.tandem, 'list.ipynb', [{ type: 'markdown', source: '' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'list.ipynb'));
    await editMarkdown(p.page);
    await p.page.keyboard.type('- a');
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.type('- b');
    // Enter on the empty item ends the list (CodeMirror takes the marker back); ordered
    // lists then keep the number typed over the one Enter offered.
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.type('1. x');
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.type('2. y');
    await expect.poll(() => sourceOf('list.ipynb', 0), { timeout: 10_000 }).toBe('- a\n- b\n1. x\n2. y');
    await screenshot(p.page, 'markdown-list-typed');
    expect(p.errors).toEqual([]);
  } finally {
    await p.context.close();
  }
});

test('Enter still continues a list when the marker is not typed', async () => {
  await putNotebook(s.tandem, 'continue.ipynb', [{ type: 'markdown', source: '' }]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'continue.ipynb'));
    await editMarkdown(p.page);
    await p.page.keyboard.type('- a');
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.type('b');
    await p.page.keyboard.press('Enter');
    // A dash that starts the item's text, not a marker, is kept.
    await p.page.keyboard.type('-5 degrees');
    await expect.poll(() => sourceOf('continue.ipynb', 0), { timeout: 10_000 }).toBe('- a\n- b\n- -5 degrees');
  } finally {
    await p.context.close();
  }
});
