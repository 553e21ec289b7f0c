// One Tandem server and one Chromium per test file; every test opens fresh contexts.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './browser';
import { ensureClientBuilt } from './build';
import { startTandem, type Tandem, type TandemOptions } from './tandem';

export interface Suite {
  tandem: Tandem;
  browser: Browser;
}

export function useSuite(options: TandemOptions = {}): Suite {
  const suite = {} as Suite;
  beforeAll(async () => {
    await ensureClientBuilt();
    [suite.tandem, suite.browser] = await Promise.all([startTandem(options), launchChromium()]);
  }, 180_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.tandem?.stop();
  });
  return suite;
}
