// With --storage s3://, a bucket that stops answering (versitygw under SIGSTOP) is shown to
// every editor: the header reads "Saving paused: storage unreachable" while the server holds
// the edits, and goes back to "All changes saved" by itself once the bucket answers again.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type S3Server, startS3Server } from '../helpers/s3-server';
import { cellText, editCell, launchChromium, openNotebook, ownerUrl, person, putNotebook } from './support/browser';
import { ensureClientBuilt } from './support/build';
import { startTandem, type Tandem } from './support/tandem';

let s3: S3Server;
let tandem: Tandem;
let browser: Browser;

beforeAll(async () => {
  await ensureClientBuilt();
  s3 = await startS3Server();
  [tandem, browser] = await Promise.all([
    startTandem({
      args: ['--storage', `s3://${s3.bucket}/browser`, '--s3-endpoint', s3.endpoint],
      env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' },
    }),
    launchChromium(),
  ]);
}, 180_000);

afterAll(async () => {
  s3?.resume();
  await browser?.close();
  await tandem?.stop();
  await s3?.stop();
});

test('two editors see saving paused while the bucket is away, keep typing, and see it saved once it is back', async () => {
  await putNotebook(tandem, 'paused.ipynb', [{ source: 'x = 1' }]);
  const [alice, bob] = [await person(browser), await person(browser)];
  try {
    for (const p of [alice, bob]) {
      await openNotebook(p, ownerUrl(tandem, 'paused.ipynb'));
      await p.page.getByTestId('save-status').filter({ hasText: 'All changes saved' }).waitFor();
    }
    s3.pause();
    try {
      await editCell(alice.page, 0);
      await alice.page.keyboard.type(' + 1');
      for (const p of [alice, bob]) {
        await p.page.getByTestId('save-status').filter({ hasText: 'Saving paused: storage unreachable' }).waitFor({ timeout: 20_000 });
      }
      // Editing goes on meanwhile: the room does not wait for the bucket.
      await editCell(bob.page, 0);
      await bob.page.keyboard.type(' + 2');
      await expect.poll(() => cellText(alice.page, 0)).toBe('x = 1 + 1 + 2');
    } finally {
      s3.resume();
    }
    for (const p of [alice, bob]) {
      await p.page.getByTestId('save-status').filter({ hasText: 'All changes saved' }).waitFor({ timeout: 60_000 });
    }
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
