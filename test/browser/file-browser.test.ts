// Signing in by link, and the file browser's everyday jobs.
import { expect, test } from 'vitest';
import { expectCount, notebookJson, person, putNotebook, screenshot } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

test('signing in with the printed link sets a session and removes the token from the address bar', async () => {
  const p = await person(s.browser);
  try {
    await p.page.goto(`${s.tandem.url}/?token=${s.tandem.token}`);
    await p.page.locator('table.files').waitFor();
    expect(p.page.url()).not.toContain('token');
    // The cookie carries the session: a reload without the token still works.
    await p.page.reload();
    await p.page.locator('table.files').waitFor();
  } finally {
    await p.context.close();
  }
});

test('a browser without a session is asked for a token', async () => {
  const p = await person(s.browser);
  try {
    await p.page.goto(`${s.tandem.url}/`);
    await p.page.getByRole('heading', { name: 'Sign in to Tandem' }).waitFor();
    await p.page.getByLabel('Token').fill(s.tandem.token);
    await p.page.getByRole('button', { name: 'Sign in' }).click();
    await p.page.locator('table.files').waitFor();
    expect(p.page.url()).not.toContain('token');
  } finally {
    await p.context.close();
  }
});

test('the file browser lists, renames, duplicates and deletes notebooks', async () => {
  await putNotebook(s.tandem, 'reports/q1.ipynb', [{ source: 'print(1)' }]).catch(async () => {
    await s.tandem.api('PUT', '/api/contents/reports', { type: 'directory' });
    await putNotebook(s.tandem, 'reports/q1.ipynb', [{ source: 'print(1)' }]);
  });
  await putNotebook(s.tandem, 'analysis.ipynb', [{ source: 'x = 1' }]);
  const p = await person(s.browser);
  try {
    await p.page.goto(`${s.tandem.url}/?token=${s.tandem.token}`);
    const row = (path: string) => p.page.locator(`tr[data-path="${path}"]`);
    await row('analysis.ipynb').waitFor();
    await row('reports').waitFor();
    await screenshot(p.page, 'file-browser');

    // Into a folder and back by the breadcrumbs.
    await row('reports').locator('a').first().click();
    await row('reports/q1.ipynb').waitFor();
    expect(new URL(p.page.url()).pathname).toBe('/tree/reports');
    await p.page.getByLabel('Home folder').click();
    await row('analysis.ipynb').waitFor();

    // Rename.
    await row('analysis.ipynb').hover();
    await p.page.getByLabel('Rename analysis.ipynb').click();
    await p.page.getByLabel('New name').fill('churn.ipynb');
    await p.page.getByRole('button', { name: 'Rename', exact: true }).click();
    await row('churn.ipynb').waitFor();
    await expectCount(row('analysis.ipynb'), 0);

    // Duplicate.
    await row('churn.ipynb').hover();
    await p.page.getByLabel('Duplicate churn.ipynb').click();
    await expect.poll(() => p.page.locator('tr[data-type="notebook"]').count()).toBe(2);

    // Delete (after confirming).
    await row('churn.ipynb').hover();
    await p.page.getByLabel('Delete churn.ipynb').click();
    await p.page.getByRole('button', { name: 'Delete', exact: true }).click();
    await expectCount(row('churn.ipynb'), 0);

    // Upload a notebook from disk.
    const uploaded = JSON.stringify(notebookJson([{ source: 'uploaded = True' }]));
    await p.page.getByLabel('Upload files').setInputFiles({ name: 'from-disk.ipynb', mimeType: 'application/x-ipynb+json', buffer: Buffer.from(uploaded) });
    await row('from-disk.ipynb').waitFor();
    const saved = await s.tandem.api<{ content: { cells: { source: string | string[] }[] } }>('GET', '/api/contents/from-disk.ipynb?content=1');
    expect([saved.content.cells[0].source].flat().join('')).toBe('uploaded = True');

    // The download link points at the raw file.
    const other = p.page.locator('tr[data-type="notebook"]').first();
    const href = await other.locator('a[download]').getAttribute('href');
    expect(href).toMatch(/^\/files\//);
  } finally {
    await p.context.close();
  }
});

test('the share dialog makes a view link that opens straight into the notebook, read-only', async () => {
  await putNotebook(s.tandem, 'shared.ipynb', [{ source: 'print("hi")' }]);
  const owner = await person(s.browser);
  const guest = await person(s.browser);
  try {
    await owner.page.goto(`${s.tandem.url}/notebooks/shared.ipynb?token=${s.tandem.token}`);
    await owner.page.locator('[data-cell-id]').first().waitFor();
    await owner.page.getByRole('button', { name: 'Share', exact: true }).click();
    await owner.page.getByRole('radio', { name: /Can view/ }).check();
    await owner.page.getByRole('button', { name: /Create can view link/ }).click();
    const field = owner.page.getByRole('textbox', { name: 'Can view link' });
    await field.waitFor();
    const url = await field.inputValue();
    await screenshot(owner.page, 'share-dialog');

    await guest.page.goto(url);
    await guest.page.locator('[data-cell-id]').first().waitFor();
    expect(new URL(guest.page.url()).pathname).toBe('/notebooks/shared.ipynb');
    expect(guest.page.url()).not.toContain('token');
    expect(await guest.page.locator('[data-testid="access-badge"]').innerText()).toContain('View only');

    // Revoking the link disconnects the guest and keeps them out.
    await owner.page.getByRole('button', { name: 'Revoke Can view link' }).click();
    await guest.page.getByRole('alert').filter({ hasText: 'Disconnected' }).waitFor({ timeout: 15_000 });
    await guest.page.goto(url);
    await guest.page.getByRole('heading', { name: 'Sign in to Tandem' }).waitFor();
  } finally {
    await owner.context.close();
    await guest.context.close();
  }
});
