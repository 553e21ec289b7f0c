// Real Chromium for the browser tests (Debian's package; playwright's downloads cannot work
// here), a fresh context per person, and small helpers to drive the notebook like a user.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { REPO } from './build';
import type { Tandem } from './tandem';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page: a test can assert there were none. */
  errors: string[];
}

/** A fresh browser profile (context) with one page. */
export async function person(browser: Browser): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

export interface CellSpec {
  type?: 'code' | 'markdown' | 'raw';
  source: string;
  outputs?: unknown[];
  execution_count?: number | null;
}

/** A notebook of these cells; `metadata` is added to the notebook's own (e.g. `tandem`). */
export function notebookJson(cells: CellSpec[], metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: { name: 'python' },
      ...metadata,
    },
    cells: cells.map((c, i) => {
      const type = c.type ?? 'code';
      const base = { id: `cell-${i}`, cell_type: type, metadata: {}, source: c.source };
      return type === 'code' ? { ...base, execution_count: c.execution_count ?? null, outputs: c.outputs ?? [] } : base;
    }),
  };
}

export async function putNotebook(t: Tandem, path: string, cells: CellSpec[], metadata: Record<string, unknown> = {}): Promise<void> {
  await t.api('PUT', `/api/contents/${encodeURI(path)}`, { type: 'notebook', format: 'json', content: notebookJson(cells, metadata) });
}

export async function shareLink(t: Tandem, path: string, role: 'viewer' | 'runner' | 'editor'): Promise<string> {
  const share = await t.api<{ url: string }>('POST', '/api/shares', { path, role });
  return share.url;
}

export function ownerUrl(t: Tandem, path: string): string {
  return `${t.url}/notebooks/${encodeURI(path)}?token=${t.token}`;
}

/** Opens a URL and waits until the notebook's cells are on screen. */
export async function openNotebook(p: Person, url: string): Promise<void> {
  await p.page.goto(url);
  await p.page.locator('[data-cell-id]').first().waitFor({ timeout: 20_000 });
}

export function cell(page: Page, index: number) {
  return page.locator('[data-cell-id]').nth(index);
}

/** Clicks into a cell's editor at the end of its text, ready to type. */
export async function editCell(page: Page, index: number): Promise<void> {
  const content = cell(page, index).locator('.cm-content');
  await content.click();
  await page.keyboard.press('Control+End');
}

/** A cell's source as its editor shows it, without collaborators' caret labels. */
export async function cellText(page: Page, index: number): Promise<string> {
  const text = await cell(page, index)
    .locator('.cm-content')
    .evaluate((el) =>
      [...el.querySelectorAll('.cm-line')]
        .map((line) => {
          const copy = line.cloneNode(true) as typeof line;
          for (const n of copy.querySelectorAll('.cm-remote-caret, .cm-placeholder, .cm-widgetBuffer')) n.remove();
          return copy.textContent ?? '';
        })
        .join('\n'),
    );
  return text.replace(/\u2060/g, '');
}

/** The signed-in identity's display name, as the server reports it to this page. */
export async function displayName(page: Page): Promise<string> {
  return page.evaluate(
    `fetch('/api/me').then((r) => r.json()).then((me) => me.identity.display_name || me.identity.name || me.identity.username)`,
  ) as Promise<string>;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(REPO, 'test-artifacts', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/** Polls until the locator matches exactly `n` elements (vitest has no locator matchers). */
export async function expectCount(locator: Locator, n: number, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let count = -1;
  while (Date.now() < deadline) {
    count = await locator.count();
    if (count === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Expected ${n} elements for ${String(locator)}, found ${count}`);
}
