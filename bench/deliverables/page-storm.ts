// A crowd opening one page at once in real Chromium: each person a fresh context, every page
// navigated together, and for each page its first-contentful-paint and the moment the outputs
// are on it, both in the page's own clock (ms after its navigation started), plus the time
// from the storm's start. The server's resident memory is sampled throughout.
import { readdirSync, readFileSync } from 'node:fs';
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
  /** Peak proportional set size of all this process's Chromium processes (shared pages split among them). */
  browserPssPeakKb: number;
}

interface InPage {
  fcp: number | null;
  shown: number | null;
  origin: number;
}

// In the page, globalThis is its window.
type Instrumented = typeof globalThis & { __bench?: InPage };

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

/** Sum of Pss over the Chromium processes below this one (the browser, its renderers and helpers). */
function browserPssKb(): number {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      names.set(pid, stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone between the listing and the read.
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, name] of names) {
    if (!name.startsWith('chrom') || !below(pid)) continue;
    try {
      total += Number(/\nPss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone.
    }
  }
  return total;
}

async function open(browser: Browser, script: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript({ content: script });
  return { context, page: await context.newPage() };
}

async function measure(page: Page, url: string, stormStart: number, timeoutMs: number): Promise<PageSample> {
  await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
  // Functions, not strings: the pages' Content-Security-Policy forbids evaluating strings.
  await page.waitForFunction(() => (globalThis as Instrumented).__bench?.shown != null, undefined, { timeout: timeoutMs, polling: 250 });
  // The paint entry can come a frame after the outputs' DOM: give it a moment.
  await page.waitForFunction(() => (globalThis as Instrumented).__bench?.fcp != null, undefined, { timeout: 5_000, polling: 100 }).catch(() => undefined);
  const at = await page.evaluate(() => (globalThis as Instrumented).__bench!);
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
  let browserPssPeakKb = 0;
  const browserWatch = setInterval(() => {
    browserPssPeakKb = Math.max(browserPssPeakKb, browserPssKb());
  }, 2_000);
  try {
    for (let done = 0; done < options.readers; done += options.wave) {
      const count = Math.min(options.wave, options.readers - done);
      const people: Array<{ context: BrowserContext; page: Page }> = [];
      try {
        for (let i = 0; i < count; i++) people.push(await open(browser, script));
        const stormStart = Date.now();
        const results = await Promise.allSettled(people.map(({ page }) => measure(page, options.url, stormStart, options.timeoutMs)));
        // Once more with every page of the wave still open: a short storm may fit between two samples.
        browserPssPeakKb = Math.max(browserPssPeakKb, browserPssKb());
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
    clearInterval(browserWatch);
  }
  return { samples, failures, serverRssBeforeKb, serverRssPeakKb: rss.peakKb, wave: options.wave, browserPssPeakKb };
}
