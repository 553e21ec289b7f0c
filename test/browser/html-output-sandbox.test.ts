// Outputs are untrusted: a notebook from anyone must not run script in the app's origin,
// where it could act with the viewer's session. The outputs come from the file itself, so
// no kernel is needed.
import { expect, test } from 'vitest';
import { cell, openNotebook, ownerUrl, person, putNotebook, screenshot } from './support/browser';
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
    // The harmless part of the hostile output is shown, without its script, and says so.
    await out.locator('#framed', { hasText: 'framed output' }).waitFor();
    await out.locator('[data-testid="scripts-removed"]').waitFor();
    await out.locator('#inline-ok').waitFor();
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
