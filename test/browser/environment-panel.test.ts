// The Environment panel: editors declare a notebook's dependencies in it, through the shared
// document; everyone watches the environment build and sees what it holds; a changed
// specification offers a restart into it, and a failed build shows the installer's error.
// Packages are tiny wheels built here and installed with --no-index, and pip builds them, so
// nothing depends on the network.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { buildWheel } from '../environments/wheels';
import { cell, editCell, expectCount, openNotebook, ownerUrl, type Person, person, putNotebook, screenshot, shareLink } from './support/browser';
import { useSuite } from './support/suite';

const s = useSuite({ args: ['--env-installer', 'pip', '--warm-pool', '0'] });
const BUILD_MS = 120_000;
const PRINT_VERSION = 'import tiny_pkg\nprint(tiny_pkg.__version__)';
const offline = (requirement: string) => [requirement, '--find-links ./wheels', '--no-index'];

function wheels(): void {
  for (const version of ['1.2.3', '2.0.0']) buildWheel(join(s.tandem.root, 'wheels'), 'tiny-pkg', version);
}

async function openPanel(p: Person) {
  await p.page.getByTestId('environment-button').click();
  const panel = p.page.getByTestId('environment-panel');
  await panel.waitFor();
  return panel;
}

/** Writes the specification in the editor's panel and saves it, as a person would. */
async function declare(p: Person, requirements: string[]): Promise<void> {
  const panel = p.page.getByTestId('environment-panel');
  await panel.getByLabel('Requirements').fill(requirements.join('\n'));
  await panel.getByRole('button', { name: 'Save' }).click();
}

/** Records every text the build display shows in this page, however briefly. */
async function watchBuilds(p: Person): Promise<() => Promise<string[]>> {
  await p.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { builds: string[] }).builds = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="environment-build"]')?.textContent;
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => p.page.evaluate(() => (window as unknown as { builds: string[] }).builds);
}

test('an editor declares a package in the Environment panel, and a viewer watches it build and sees what it holds', async () => {
  wheels();
  await putNotebook(s.tandem, 'env.ipynb', [{ source: PRINT_VERSION }]);
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'env.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'env.ipynb', 'viewer'));
    const watched = await openPanel(viewer);
    await watched.getByText("None: this notebook runs in the server's default environment.").waitFor();
    const builds = await watchBuilds(viewer);

    const panel = await openPanel(editor);
    await declare(editor, offline('tiny-pkg==1.2.3'));
    // Everyone sees the new specification, read-only unless they may edit.
    await watched.getByTestId('environment-spec').getByText('tiny-pkg==1.2.3').waitFor();
    await expectCount(watched.locator('textarea, input'), 0);
    await panel.getByText('It is built when the kernel next starts').waitFor();
    await panel.getByTestId('environment-status').getByText('Not built yet').waitFor();
    await screenshot(editor.page, 'environment-panel-editor');

    await editCell(editor.page, 0);
    await editor.page.keyboard.press('Control+Enter');
    await cell(viewer.page, 0).locator('[data-testid="stream-output"]', { hasText: '1.2.3' }).waitFor({ timeout: BUILD_MS });

    // The viewer watched the build go by, phase by phase.
    const seen = await builds();
    expect(seen.some((text) => text.includes('Installing packages'))).toBe(true);
    await watched.getByTestId('environment-status').getByText('Built').waitFor();
    await watched.getByTestId('environment-packages').getByRole('row', { name: 'tiny-pkg 1.2.3' }).waitFor();
    await watched.getByTestId('environment-summary').getByText('The kernel runs in environment').waitFor();
    await watched.locator('[data-testid="environment-details"][aria-busy="false"]').waitFor();
    await screenshot(viewer.page, 'environment-panel-viewer');
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 180_000);

test('a changed environment offers a restart into it; a failed build shows the installer’s error, and the fix runs', async () => {
  wheels();
  await putNotebook(s.tandem, 'change.ipynb', [{ source: PRINT_VERSION }], { tandem: { environment: { requirements: offline('tiny-pkg==1.2.3') } } });
  const editor = await person(s.browser);
  const viewer = await person(s.browser);
  try {
    await openNotebook(editor, ownerUrl(s.tandem, 'change.ipynb'));
    await openNotebook(viewer, await shareLink(s.tandem, 'change.ipynb', 'viewer'));
    await editCell(editor.page, 0);
    await editor.page.keyboard.press('Control+Enter');
    await cell(editor.page, 0).locator('[data-testid="stream-output"]', { hasText: '1.2.3' }).waitFor({ timeout: BUILD_MS });

    // A specification the server cannot read is explained at once, to everyone.
    const panel = await openPanel(editor);
    await declare(editor, offline('tiny-pkg=2.0.0'));
    await panel.getByTestId('environment-error').getByText('use == to pin a version').waitFor({ timeout: 10_000 });
    await viewer.page.getByTestId('environment-error-notice').waitFor();
    await screenshot(viewer.page, 'environment-invalid-viewer');

    // A version that is not there: the running kernel keeps the old environment until a restart.
    await declare(editor, offline('tiny-pkg==9.9.9'));
    await viewer.page.getByTestId('environment-pending-notice').waitFor({ timeout: 10_000 });
    await expectCount(panel.getByTestId('environment-error'), 0);
    await expectCount(viewer.page.getByRole('button', { name: 'Restart into the new environment' }), 0);
    await panel.getByTestId('environment-pending').getByRole('button', { name: 'Restart into the new environment' }).click();
    await editor.page.getByRole('dialog').getByRole('button', { name: 'Restart' }).click();

    // The build fails: everyone is told, the panel shows the installer's own words.
    const failure = panel.getByTestId('environment-build-error');
    await failure.waitFor({ timeout: BUILD_MS });
    expect(await failure.innerText()).toContain('No matching distribution found for tiny-pkg==9.9.9');
    await viewer.page.getByTestId('kernel-dead').waitFor();
    await panel.getByTestId('environment-status').getByText('Not built yet').waitFor();
    await screenshot(editor.page, 'environment-panel-build-failed');

    await declare(editor, offline('tiny-pkg==2.0.0'));
    await panel.getByTestId('environment-summary').getByRole('button', { name: 'Restart it' }).click();
    await panel.getByTestId('environment-summary').getByText('The kernel runs in environment').waitFor({ timeout: BUILD_MS });
    await editCell(editor.page, 0);
    await editor.page.keyboard.press('Control+Enter');
    await cell(viewer.page, 0).locator('[data-testid="stream-output"]', { hasText: '2.0.0' }).waitFor({ timeout: 30_000 });
    expect([...editor.errors, ...viewer.errors]).toEqual([]);
  } finally {
    await editor.context.close();
    await viewer.context.close();
  }
}, 240_000);
