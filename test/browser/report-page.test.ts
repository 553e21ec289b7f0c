// The report page in Chromium: a reader opens the published link and sees the run's markdown
// and outputs through the notebook's own sanitising renderers, with the code hidden, and when
// the data was fetched. Their link reaches the report only: the notebook's address sends them
// back to it.
import { expect, test } from 'vitest';
import type { JobRecord, JobStarted, Published } from '../../common/api';
import { eventually } from '../helpers/clients';
import { person, putNotebook } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite({ args: ['--warm-pool', '0'] });

const CODE = [
  'from IPython.display import HTML, display',
  'secret_total = 6 * 7',
  `display(HTML(f'<b>Total: {secret_total}</b><img src="x" onerror="window.__pwned = 1">'))`,
].join('\n');

test('a reader sees the report with code hidden and outputs sanitised, and nothing of the notebook', async () => {
  await putNotebook(s.tandem, 'weekly.ipynb', [{ type: 'markdown', source: '# Weekly sales\n\nThe numbers *this* week.' }, { source: CODE }]);
  const { fileId } = await s.tandem.api<{ fileId: string }>('PUT', '/api/collaboration/session/weekly.ipynb', { format: 'json', type: 'notebook' });
  const { id } = await s.tandem.api<JobStarted>('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'live' });
  await eventually(async () => expect((await s.tandem.api<JobRecord>('GET', `/api/jobs/${id}`)).status).toBe('ok'), 60_000, 200);
  const { url } = await s.tandem.api<Published>('POST', `/api/jobs/${id}/publish`, {});

  const reader = await person(s.browser);
  try {
    await reader.page.goto(url);
    const report = reader.page.getByTestId('report');
    await report.getByRole('heading', { name: 'Weekly sales' }).waitFor();
    await report.getByText('Total: 42', { exact: true }).waitFor();
    expect(await reader.page.getByTestId('report-facts').innerText()).toMatch(/^Live run: fresh data · Data fetched .+ · Ran .+/);
    // Code hidden: neither the source nor a way to show it.
    expect(await report.innerText()).not.toContain('secret_total');
    expect(await reader.page.getByText('Show code').count()).toBe(0);
    // The same sanitiser as the notebook: the image's handler never ran.
    expect(await reader.page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    // The token left the address bar (the session cookie carries it now).
    expect(new URL(reader.page.url()).search).toBe('');

    // The notebook's address brings a reader back to the report; its API refuses them.
    await reader.page.goto(`${s.tandem.url}/notebooks/weekly.ipynb`);
    await reader.page.waitForURL(`${s.tandem.url}/reports/${id}`);
    await reader.page.getByText('Total: 42', { exact: true }).waitFor();
    const status = await reader.page.evaluate(async () => (await fetch('/api/contents/weekly.ipynb')).status);
    expect([403, 404]).toContain(status);
    expect(reader.errors).toEqual([]);
  } finally {
    await reader.context.close();
  }
});
