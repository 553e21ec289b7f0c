// A crowd opening one page at once in real Chromium: each person a fresh context, every page
// navigated together, and for each page its first-contentful-paint and the moment the outputs
// are on it, both in the page's own clock (ms after its navigation started), plus the time
// from the storm's start. The server's resident memory is sampled throughout.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { RssWatcher, readMemory } from '../lib/proc.js';
import { withoutTokens } from './server.js';

export interface PageSample {
  /** first-contentful-paint, ms after the page's navigation started. */
  fcpMs: number;
  /** The outputs are in the page (table, decoded plot, printed text), ms after its navigation started. */
  shownMs: number;
  /** The same moment, ms after the whole storm (or its wave) was let go. */
  shownSinceStormMs: number;
}

export interface StormResult {
  samples: PageSample[];
  failures: string[];
  serverRssBeforeKb: number | null;
  serverRssPeakKb: number;
  /** How many pages were open at once. */
  wave: number;
}

interface InPage {
  fcp: number | null;
  shown: number | null;
  origin: number;
}

// Installed before any of the page's own scripts: the paint observer (buffered, so an early
// paint is not missed) and a watch on the DOM and on image loads for the outputs.
function instrument(outputsShown: string): string {
  return `(() => {
    const bench = { fcp: null, shown: null, origin: performance.timeOrigin };
    window.__bench = bench;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.name === 'first-contentful-paint') bench.fcp = entry.startTime;
    }).observe({ type: 'paint', buffered: true });
    const observer = new MutationObserver(() => check());
    const check = () => {
      if (bench.shown !== null || !${outputsShown}) return;
      bench.shown = performance.now();
      observer.disconnect();
      document.removeEventListener('load', check, true);
    };
    document.addEventListener('load', check, true);
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  })();`;
}

async function open(browser: Browser, script: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript({ content: script });
  return { context, page: await context.newPage() };
}

async function measure(page: Page, url: string, stormStart: number, timeoutMs: number): Promise<PageSample> {
  await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
  await page.waitForFunction('window.__bench && window.__bench.shown !== null', undefined, { timeout: timeoutMs, polling: 250 });
  // The paint entry can come a frame after the outputs' DOM: give it a moment.
  await page.waitForFunction('window.__bench.fcp !== null', undefined, { timeout: 5_000, polling: 100 }).catch(() => undefined);
  const at = (await page.evaluate('window.__bench')) as InPage;
  if (at.fcp === null) throw new Error('the page reported no first-contentful-paint');
  return { fcpMs: at.fcp, shownMs: at.shown!, shownSinceStormMs: at.origin + at.shown! - stormStart };
}

export async function storm(
  browser: Browser,
  options: { url: string; readers: number; wave: number; serverPid: number; outputsShown: string; timeoutMs: number },
): Promise<StormResult> {
  const script = instrument(options.outputsShown);
  const samples: PageSample[] = [];
  const failures: string[] = [];
  const serverRssBeforeKb = readMemory(options.serverPid)?.rssKb ?? null;
  const rss = new RssWatcher(options.serverPid, 50);
  try {
    for (let done = 0; done < options.readers; done += options.wave) {
      const count = Math.min(options.wave, options.readers - done);
      const people: Array<{ context: BrowserContext; page: Page }> = [];
      try {
        for (let i = 0; i < count; i++) people.push(await open(browser, script));
        const stormStart = Date.now();
        const results = await Promise.allSettled(people.map(({ page }) => measure(page, options.url, stormStart, options.timeoutMs)));
        for (const result of results) {
          if (result.status === 'fulfilled') samples.push(result.value);
          else failures.push(withoutTokens((result.reason as Error).message.split('\n')[0] ?? 'failed'));
        }
      } finally {
        await Promise.allSettled(people.map(({ context }) => context.close()));
      }
    }
  } finally {
    rss.stop();
  }
  return { samples, failures, serverRssBeforeKb, serverRssPeakKb: rss.peakKb, wave: options.wave };
}
