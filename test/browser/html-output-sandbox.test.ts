// Outputs are untrusted: a notebook from anyone must not run script in the app's origin,
// where it could act with the viewer's session. Static HTML is sanitised inline; HTML that
// carries script (and application/javascript) runs in /sandbox/output.html, framed with
// sandbox="allow-scripts" only: an opaque origin with no cookies, no API and no network. The
// outputs come from the file itself, so no kernel is needed.
import { expect, test } from 'vitest';
import { cell, expectCount, openNotebook, ownerUrl, person, putNotebook, screenshot } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite();

const HOSTILE_HTML =
  '<p id="framed">framed output</p>' +
  '<script>document.body.dataset.ran = "yes"; try { window.top.__tandemPwned = "script"; } catch (e) {} try { parent.document.title = "pwned"; } catch (e) {} alert("script");</script>' +
  '<img src="data:," onerror="try { window.top.__tandemPwned = \'onerror\'; } catch (e) {}">';
const HOSTILE_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="window.top.__tandemPwned=\'svg\'"><script>window.top.__tandemPwned = "svg-script"</script><circle cx="20" cy="20" r="15" fill="teal"/></svg>';
const HOSTILE_MD = 'Markdown with a trap <img src="data:," onerror="window.__tandemPwned = \'markdown\'"> and **bold**.';

test('an HTML output with <script> and an onerror handler runs nothing in the app’s origin', async () => {
  await putNotebook(s.tandem, 'hostile.ipynb', [
    {
      source: 'show_everything()',
      execution_count: 1,
      outputs: [
        { output_type: 'display_data', metadata: {}, data: { 'text/html': HOSTILE_HTML, 'text/plain': 'html' } },
        { output_type: 'display_data', metadata: {}, data: { 'text/html': '<b id="inline-ok">plain bold</b>', 'text/plain': 'b' } },
        { output_type: 'display_data', metadata: {}, data: { 'image/svg+xml': HOSTILE_SVG, 'text/plain': 'svg' } },
        { output_type: 'display_data', metadata: {}, data: { 'text/markdown': HOSTILE_MD, 'text/plain': 'md' } },
        { output_type: 'execute_result', execution_count: 1, metadata: {}, data: { 'text/plain': "'<script>alert(1)</script>'" } },
      ],
    },
    { type: 'markdown', source: HOSTILE_MD },
  ]);
  const p = await person(s.browser);
  const dialogs: string[] = [];
  p.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'hostile.ipynb'));
    const out = cell(p.page, 0);
    // The hostile output is shown in the sandbox frame, where its script runs harmlessly.
    const frame = out.frameLocator('iframe[data-testid="sandboxed-output"]');
    await frame.locator('#framed', { hasText: 'framed output' }).waitFor();
    await frame.locator('body[data-ran="yes"]').waitFor();
    await out.locator('[data-testid="html-output"] #inline-ok').waitFor();
    await out.locator('[data-testid="image-output"]').waitFor();
    await cell(p.page, 1).locator('strong', { hasText: 'bold' }).waitFor();
    await p.page.waitForTimeout(1000);

    expect(await p.page.evaluate('window.__tandemPwned')).toBeUndefined();
    expect(await p.page.title()).not.toBe('pwned');
    expect(dialogs).toEqual([]);
    // Nothing from the output became markup in the page: no handlers, no scripts.
    expect(await p.page.locator('.notebook-page [onerror], .notebook-page script, .notebook-page svg[onload]').count()).toBe(0);
    expect(await out.locator('.output').last().innerText()).toContain("'<script>alert(1)</script>'");
    await screenshot(p.page, 'notebook-outputs');
    expect(p.errors).toEqual([]);
  } finally {
    await p.context.close();
  }
});

// What the frame's script can learn about where it runs, written into its own DOM.
const PROBING_SCRIPT = `
  const chart = document.getElementById('chart');
  chart.textContent = 'drawn by script';
  chart.style.cssText = 'height: 300px; display: flex; align-items: flex-end; gap: 6px';
  for (const h of [120, 210, 90, 260, 170]) {
    const bar = document.createElement('span');
    bar.style.cssText = 'width: 36px; background: #1976d2; height: ' + h + 'px';
    chart.append(bar);
  }
  document.body.dataset.origin = String(window.origin);
  try { document.body.dataset.cookie = typeof document.cookie; } catch (e) { document.body.dataset.cookie = 'denied'; }
  try { document.body.dataset.parent = String(parent.location.href); } catch (e) { document.body.dataset.parent = 'denied'; }
  fetch('/api/me').then(() => { document.body.dataset.fetch = 'allowed'; }, () => { document.body.dataset.fetch = 'blocked'; });
`;

test('a script in an HTML output runs in its sandboxed frame, which grows to fit what it drew, with no way to the app or the network', async () => {
  await putNotebook(s.tandem, 'interactive.ipynb', [
    {
      source: 'chart()',
      execution_count: 1,
      outputs: [
        {
          output_type: 'display_data',
          metadata: {},
          data: { 'text/html': `<div id="chart">waiting</div><script>${PROBING_SCRIPT}</script>`, 'text/plain': 'chart' },
        },
        {
          output_type: 'display_data',
          metadata: {},
          data: { 'text/html': '<table><thead><tr><th>city</th></tr></thead><tbody><tr><td>Lisbon</td></tr></tbody></table>', 'text/plain': 'table' },
        },
      ],
    },
    {
      source: 'Javascript(...)',
      execution_count: 2,
      outputs: [
        {
          output_type: 'display_data',
          metadata: {},
          data: {
            'application/javascript': 'element.textContent = "written by JavaScript </script> safely"; element.id = "js-out";',
            'text/plain': '<IPython.core.display.Javascript object>',
          },
        },
      ],
    },
  ]);
  const p = await person(s.browser);
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'interactive.ipynb'));
    const frames = cell(p.page, 0).locator('iframe[data-testid="sandboxed-output"]');
    await expectCount(frames, 1);
    expect(await frames.getAttribute('sandbox')).toBe('allow-scripts');
    const frame = cell(p.page, 0).frameLocator('iframe[data-testid="sandboxed-output"]');
    await frame.locator('#chart', { hasText: 'drawn by script' }).waitFor();
    await frame.locator('body[data-fetch]').waitFor();
    const probe = await frame.locator('body').evaluate((body) => ({ ...(body as HTMLElement).dataset }));
    expect(probe).toEqual({ origin: 'null', cookie: 'denied', parent: 'denied', fetch: 'blocked' });

    // The frame told the app how tall its content grew, and the app made room for it.
    await expect.poll(async () => (await frames.boundingBox())?.height ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(300);
    // A static table stays inline and sanitised, in the app's own look.
    await cell(p.page, 0).locator('[data-testid="html-output"] td', { hasText: 'Lisbon' }).waitFor();
    // application/javascript gets the same frame, and an `element` to draw into.
    await cell(p.page, 1)
      .frameLocator('iframe[data-testid="sandboxed-output"]')
      .locator('#js-out', { hasText: 'written by JavaScript </script> safely' })
      .waitFor();

    // The frame's document comes with a policy of its own: scripts, but no connections.
    const policy = (await fetch(`${s.tandem.url}/sandbox/output.html`)).headers.get('content-security-policy') ?? '';
    expect(policy).toContain("connect-src 'none'");
    expect(policy).toContain('sandbox allow-scripts');
    await screenshot(p.page, 'notebook-interactive-output');
    expect(p.errors).toEqual([]);
  } finally {
    await p.context.close();
  }
});

test('an output loads nothing from the internet until the person allows it, and then loads it', async () => {
  const external =
    '<p id="chart-host">chart</p><img id="tracker" src="https://tracker.invalid/pixel.png">' +
    '<script src="https://cdn.invalid/plot.js"></script><script>document.body.dataset.ran = "yes";</script>';
  await putNotebook(s.tandem, 'outbound.ipynb', [
    { source: 'plot()', execution_count: 1, outputs: [{ output_type: 'display_data', metadata: {}, data: { 'text/html': external, 'text/plain': 'plot' } }] },
  ]);
  const p = await person(s.browser);
  // Every request of the page or its frames, and why it failed (this machine reaches no
  // outside address). A request the frame's policy blocks fails with ERR_BLOCKED_BY_CSP inside
  // the browser ("csp"): nothing leaves it.
  const asked: string[] = [];
  const failed = new Map<string, string>();
  p.page.on('request', (request) => asked.push(request.url()));
  p.page.on('requestfailed', (request) => failed.set(request.url(), request.failure()?.errorText ?? ''));
  const toInvalid = () => asked.filter((url) => url.includes('.invalid'));
  const leftTheBrowser = () => toInvalid().filter((url) => failed.has(url) && !/csp/i.test(failed.get(url) ?? ''));
  try {
    await openNotebook(p, ownerUrl(s.tandem, 'outbound.ipynb'));
    const out = cell(p.page, 0);
    const frame = out.frameLocator('iframe[data-testid="sandboxed-output"]');
    await frame.locator('body[data-ran="yes"]').waitFor();
    const notice = out.getByTestId('outbound-notice');
    await notice.waitFor();
    expect(await notice.innerText()).toContain('tracker.invalid');
    expect(await notice.innerText()).toContain('cdn.invalid');
    await expect.poll(() => toInvalid().every((url) => failed.has(url))).toBe(true);
    expect(leftTheBrowser(), JSON.stringify([...failed])).toEqual([]);
    const policy = (await fetch(`${s.tandem.url}/sandbox/output.html`)).headers.get('content-security-policy') ?? '';
    expect(policy).not.toContain('https:');

    await notice.getByRole('button', { name: 'Allow outputs to load from the internet' }).click();
    await notice.waitFor({ state: 'detached' });
    await frame.locator('body[data-ran="yes"]').waitFor();
    await expect.poll(() => leftTheBrowser().some((url) => url.startsWith('https://tracker.invalid/')), { timeout: 10_000 }).toBe(true);
    // The choice is this browser's: a reload keeps it.
    await p.page.reload();
    await cell(p.page, 0).frameLocator('iframe[data-testid="sandboxed-output"]').locator('body[data-ran="yes"]').waitFor();
    expect(await cell(p.page, 0).getByTestId('outbound-notice').count()).toBe(0);
  } finally {
    await p.context.close();
  }
});
