// The Markdown section the deliverables benchmarks print and keep in bench/results/: one table
// for the page storms, one for the job overhead, and notes on the machine and what dominates.
import { type JobKind, type JobOverheadResult, KIND_LABELS } from './job-overhead.js';
import type { PageSample, StormResult } from './page-storm.js';

export interface RunContext {
  startedAt: Date;
  cpus: number;
  loadAverage: number[];
  memAvailableMb: number;
  readers: number;
  repetitions: number;
  chromium: string;
  /** The client's JavaScript bundle, which both pages load before they paint anything. */
  clientScriptKb: number;
}

/** Nearest-rank percentile: a figure some sample actually had. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (v: number): string => (Number.isFinite(v) ? `${Math.round(v).toLocaleString('en')} ms` : '–');
const mb = (kb: number | null): string => (kb === null ? '–' : `${Math.round(kb / 1024)} MB`);

function spread(values: number[]): string {
  if (values.length === 0) return '–';
  return `${ms(percentile(values, 50))} / ${ms(percentile(values, 95))} / ${ms(Math.max(...values))}`;
}

function stormRow(name: string, result: StormResult, readers: number): string {
  const pick = (f: (s: PageSample) => number) => result.samples.map(f);
  return `| ${name} | ${readers} | ${result.wave} | ${result.samples.length} of ${readers} | ${spread(pick((s) => s.fcpMs))} | ${spread(pick((s) => s.shownMs))} | ${spread(pick((s) => s.shownSinceStormMs))} | ${mb(result.serverRssBeforeKb)} → ${mb(result.serverRssPeakKb)} | ${(result.browserPssPeakKb / 1024 / 1024).toFixed(1)} GB |`;
}

const median = (values: number[]): number => percentile(values, 50);

function jobRows(result: JobOverheadResult): string[] {
  const kinds = Object.keys(KIND_LABELS) as JobKind[];
  return kinds.map((kind) => {
    const samples = result.samples.filter((s) => s.kind === kind);
    const walls = samples.map((s) => s.wallMs);
    const failed = result.failures.filter((f) => f.kind === kind).length;
    const phaseNames = [...new Set(samples.flatMap((s) => Object.keys(s.phases)))];
    const phases = phaseNames.map((name) => `${name} ${ms(median(samples.map((s) => s.phases[name]!)))}`).join(', ');
    const range = walls.length ? `${ms(Math.min(...walls))} – ${ms(Math.max(...walls))}` : '–';
    return `| ${KIND_LABELS[kind]} | ${samples.length}${failed ? ` (+${failed} failed)` : ''} | ${walls.length ? ms(median(walls)) : '–'} | ${range} | ${phases || '–'} |`;
  });
}

function medianWall(result: JobOverheadResult, kind: JobKind): number {
  const walls = result.samples.filter((s) => s.kind === kind).map((s) => s.wallMs);
  return walls.length ? median(walls) : Number.NaN;
}

function medianPhase(result: JobOverheadResult, kind: JobKind, phase: string): number {
  const values = result.samples.filter((s) => s.kind === kind && s.phases[phase] !== undefined).map((s) => s.phases[phase]!);
  return values.length ? median(values) : Number.NaN;
}

/** One line a distinct message, with how many times it happened. */
function grouped(messages: string[]): string {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].map(([m, n]) => `- ${n > 1 ? `${n} × ` : ''}${m}`).join('\n');
}

export function markdown(context: RunContext, report: StormResult, notebook: StormResult, jobs: JobOverheadResult): string {
  const job = medianWall(jobs, 'http-job');
  const nb = medianWall(jobs, 'nbclient');
  const kernel = medianWall(jobs, 'kernel-start');
  const nbKernel = medianPhase(jobs, 'nbclient', 'kernelStartMs');
  const nbCells = medianPhase(jobs, 'nbclient', 'cellsMs');
  const recordDuration = medianPhase(jobs, 'http-job', 'recordDurationMs');
  const failures = [
    ...report.failures.map((f) => `report page: ${f}`),
    ...notebook.failures.map((f) => `notebook page: ${f}`),
    ...jobs.failures.map((f) => `${f.kind}: ${f.message}`),
  ];
  const waves = report.wave < context.readers || notebook.wave < context.readers;
  return [
    '## Deliverables: the report page for a crowd, and a headless job against nbclient (issue 20)',
    '',
    `Measured by \`npm run bench:deliverables\` on ${context.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, once, on a shared machine: ${context.cpus} CPU cores, load average ${context.loadAverage.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at the start, with other agents building and testing at the same time, and ${(context.memAvailableMb / 1024).toFixed(1)} GB of memory available. Every figure is noisy; compare figures of the same run, not across runs. ${context.chromium}, one browser.`,
    '',
    `### Time to first paint: ${context.readers} readers of a report against ${context.readers} viewers of the notebook`,
    '',
    'The same run of the same notebook (markdown, a pandas table, a matplotlib PNG, printed text): the report is the published run record (`POST /api/jobs/{id}/publish`, opened with its reader link), the notebook page is the notebook with the same executed outputs opened with a view link (`POST /api/shares`, role viewer). Each person is a fresh Chromium context; all of a wave navigate at once.',
    '',
    '| Page | People | Open at once | Rendered | first-contentful-paint p50 / p95 / max | outputs shown p50 / p95 / max | outputs shown since the storm began p50 / p95 / max | server RSS before → peak | Chromium peak (PSS) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    stormRow('Report (`/reports/{id}`, reader)', report, context.readers),
    stormRow('Notebook (`/notebooks/…`, viewer)', notebook, context.readers),
    '',
    '- first-contentful-paint is the page\'s own `paint` entry (PerformanceObserver), in ms after its navigation started; "outputs shown" is when the table, the decoded plot and the printed total are all in the page (a MutationObserver and image loads, in the page). "Since the storm began" adds the wait before Chromium even started the navigation, which is where a crowd on two cores queues.',
    '- The server RSS is sampled every 50 ms across the storm; "before" is just before the first navigation. Chromium\'s memory is the sum of the proportional set size of its processes, sampled every 2 s.',
    `- Both pages are the same single-page client: ${Math.round(context.clientScriptKb).toLocaleString('en')} kB of JavaScript in one file, fetched, parsed and run by every fresh context before anything is painted (the HTML is an empty \`<div id="app">\`). That, not the server, is what a crowd of fresh browsers waits for on two cores.`,
    waves
      ? `- Not all ${context.readers} at once: this machine's free memory held ${Math.min(report.wave, notebook.wave)} Chromium pages at a time, so the ${context.readers} came in waves of that many (the memory each page needs is estimated from what was available at the start).`
      : `- All ${context.readers} pages were open and navigating at once: one Chromium, ${context.readers} contexts.`,
    '- With two cores, Chromium rendering the pages is most of the cost: the figures are the browser queueing as much as the server answering. They compare the two pages under the same crowd; they are not what one reader on their own machine sees.',
    '',
    '### A headless job against nbclient, on the same light notebook',
    '',
    `${context.repetitions} repetitions of each (after one warm-up round that is not counted), taking turns within each round. The notebook is four code cells of plain Python (import math and statistics, a list of 10,000 sines, print its mean, a dict) and one markdown cell, on the \`python3\` kernelspec both use.`,
    '',
    '| Way | Runs | Median | Min – max | Median phases |',
    '|---|---:|---:|---:|---|',
    ...jobRows(jobs),
    '',
    `- Kernel start dominates both. nbclient spends a median ${ms(nbKernel)} starting the kernel and ${ms(nbCells)} running the cells, of ${ms(nb)} in all; Tandem's bridge alone takes ${ms(kernel)} to start the same kernel, of a job's ${ms(job)} from POST to an ok record (${ms(recordDuration)} of which the record counts as its own duration).`,
    `- Over nbclient, a Tandem job over HTTP costs ${Number.isFinite(job - nb) ? `${job - nb >= 0 ? '+' : ''}${ms(job - nb)}` : '–'} (median against median): the server is already running, while nbclient pays for a Python process and its imports each time. \`npm start -- run\` also pays for npm and for rebuilding the server bundle before every run, \`node dist/server/cli.mjs run\` for starting Node and loading the server's code.`,
    '- A job polls its record every 20 ms (so up to 20 ms of the HTTP figure is the poll), and queuedMs is the wait between POST and the job starting.',
    '',
    failures.length ? `**Failures (${failures.length}):**\n\n${grouped(failures)}` : 'Every page rendered its outputs and every run finished ok.',
    '',
  ].join('\n');
}
