// The benchmarks of issue 20, "notebooks as deliverables", in one run:
//   1. a crowd opening a published report against the same crowd opening the notebook itself
//      (first-contentful-paint and outputs shown, in real Chromium, and the server's memory);
//   2. a headless job's overhead against nbclient running the same notebook.
// Prints a Markdown section and keeps it in bench/results/deliverables.md. Exits non-zero when
// any page failed to show its outputs or any run failed, so a broken figure is never quiet.
//
//   npm run bench:deliverables [-- --readers 200] [--wave N] [--repetitions 5] [--no-build]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { JobRecord, JobStarted, Published } from '../common/api.js';
import { measureJobOverhead } from './deliverables/job-overhead.js';
import { REPORT_NOTEBOOK, REPORT_OUTPUTS_SHOWN } from './deliverables/notebooks.js';
import { type StormResult, storm } from './deliverables/page-storm.js';
import { markdown } from './deliverables/report.js';
import { type Api, ownerApi, withoutTokens } from './deliverables/server.js';
import { formatted } from './lib/format-markdown.js';
import { refreshSeparateSections } from './report.js';
import { BENCH, REPO, WORK } from './servers/paths.js';
import { startTandem } from './servers/tandem.js';

const { values: options } = parseArgs({
  options: {
    readers: { type: 'string', default: '200' },
    wave: { type: 'string' },
    repetitions: { type: 'string', default: '5' },
    'no-build': { type: 'boolean', default: false },
  },
});
const positive = (name: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive whole number, not "${value}"`);
  return n;
};
const READERS = positive('readers', options.readers);
const REPETITIONS = positive('repetitions', options.repetitions);
// A whole crowd shares two cores: the last page may wait minutes for its turn.
const PAGE_TIMEOUT_MS = 600_000;
// What one more Chromium page (its context and renderer, on these pages) costs in memory,
// with room to spare; half of what is free may go to the crowd, the rest is other agents'.
const PAGE_BUDGET_MB = 120;
const SOLO_VISITS = 3;

function memAvailableMb(): number {
  const line = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return line ? Number(line[1]) / 1024 : 0;
}

/** Size of the client's script, as index.html names it. */
function clientScriptKb(): number {
  const dist = join(REPO, 'client', 'dist');
  const script = /<script[^>]+src="\/([^"]+\.js)"/.exec(readFileSync(join(dist, 'index.html'), 'utf8'))?.[1];
  return script ? statSync(join(dist, script)).size / 1024 : Number.NaN;
}

function chromiumVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'Chromium';
  }
}

/** The published run of the report notebook, and the notebook itself with the run's outputs, for viewers. */
async function publishReport(api: Api): Promise<{ reportUrl: string; notebookUrl: string }> {
  const path = 'weekly.ipynb';
  await api.json('PUT', `/api/contents/${path}`, { type: 'notebook', format: 'json', content: REPORT_NOTEBOOK });
  const { fileId } = await api.json<{ fileId: string }>('PUT', `/api/collaboration/session/${path}`, { format: 'json', type: 'notebook' });
  const { id } = await api.json<JobStarted>('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'live' });
  const deadline = Date.now() + 120_000;
  let record = await api.json<JobRecord>('GET', `/api/jobs/${id}`);
  while (record.status === 'queued' || record.status === 'running') {
    if (Date.now() > deadline) throw new Error('the report notebook did not finish running within 2 minutes');
    await new Promise((r) => setTimeout(r, 200));
    record = await api.json<JobRecord>('GET', `/api/jobs/${id}`);
  }
  if (record.status !== 'ok') throw new Error(`the report notebook's run ended ${record.status}: ${JSON.stringify(record.failure)}`);
  const { url: reportUrl } = await api.json<Published>('POST', `/api/jobs/${id}/publish`, {});
  // Viewers of the notebook see the same outputs the report shows: the executed notebook.
  await api.json('PUT', `/api/contents/${path}`, { type: 'notebook', format: 'json', content: record.executed });
  const { url: notebookUrl } = await api.json<{ url: string }>('POST', '/api/shares', { path, role: 'viewer' });
  return { reportUrl, notebookUrl };
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadAverage = loadavg();
  const available = memAvailableMb();
  // Equal waves of at most what memory allows (200 in 3 waves of 67 rather than 90, 90 and 20).
  const most = options.wave ? positive('wave', options.wave) : Math.max(1, Math.floor((available * 0.5) / PAGE_BUDGET_MB));
  const wave = Math.ceil(READERS / Math.ceil(READERS / most));
  if (!options['no-build']) execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });

  const workDir = join(WORK, 'deliverables', startedAt.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(workDir, { recursive: true });
  const server = await startTandem({ workDir, logFile: join(workDir, 'tandem.log'), args: ['--warm-pool', '0', '--log-level', 'warn'] });
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  try {
    const api = ownerApi(server.info);
    process.stderr.write('Running and publishing the report notebook…\n');
    const { reportUrl, notebookUrl } = await publishReport(api);

    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    let report: StormResult;
    let notebook: StormResult;
    let reportAlone: StormResult;
    let notebookAlone: StormResult;
    try {
      const crowd = (url: string, readers: number, width: number) =>
        storm(browser, { url, readers, wave: width, serverPid: server.info.pid, outputsShown: REPORT_OUTPUTS_SHOWN, timeoutMs: PAGE_TIMEOUT_MS });
      // One visit to each first, not counted: the room is loaded, the files are in the page cache.
      const warmups = [await crowd(reportUrl, 1, 1), await crowd(notebookUrl, 1, 1)];
      // The floor: one person at a time, three times each.
      reportAlone = await crowd(reportUrl, SOLO_VISITS, 1);
      notebookAlone = await crowd(notebookUrl, SOLO_VISITS, 1);
      process.stderr.write(`${READERS} readers of the report, ${wave} at a time…\n`);
      report = await crowd(reportUrl, READERS, wave);
      process.stderr.write(`${READERS} viewers of the notebook, ${wave} at a time…\n`);
      notebook = await crowd(notebookUrl, READERS, wave);
      for (const warmup of warmups) report.failures.push(...warmup.failures.map((f) => `warm-up: ${f}`));
    } finally {
      await browser.close();
    }

    process.stderr.write(`Jobs against nbclient, ${REPETITIONS} repetitions…\n`);
    const jobs = await measureJobOverhead(api, server.info.root!, workDir, REPETITIONS);

    const section = markdown(
      {
        startedAt,
        cpus: cpus().length,
        loadAverage,
        memAvailableMb: available,
        readers: READERS,
        repetitions: REPETITIONS,
        chromium: chromiumVersion(executablePath),
        clientScriptKb: clientScriptKb(),
      },
      { report, notebook, reportAlone, notebookAlone },
      jobs,
    );
    process.stdout.write(section);
    const resultsDir = join(BENCH, 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'deliverables.md'), section);
    formatted(join(resultsDir, 'deliverables.md'));
    formatted(refreshSeparateSections());
    const failed = [report, notebook, reportAlone, notebookAlone].reduce((n, r) => n + r.failures.length, jobs.failures.length);
    if (failed) process.stderr.write(`${failed} page(s) or run(s) failed: see the section above.\n`);
    return failed ? 1 : 0;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${withoutTokens(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    process.exit(1);
  },
);
