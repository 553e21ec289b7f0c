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

const share = (part: number, whole: number): string => (Number.isFinite(part / whole) ? `${Math.round((100 * part) / whole)} %` : '–');

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

export interface Storms {
  report: StormResult;
  notebook: StormResult;
  /** The same pages opened by one person at a time: the floor under the crowd's figures. */
  reportAlone: StormResult;
  notebookAlone: StormResult;
}

export function markdown(context: RunContext, storms: Storms, jobs: JobOverheadResult): string {
  const { report, notebook, reportAlone, notebookAlone } = storms;
  const job = medianWall(jobs, 'http-job');
  const nb = medianWall(jobs, 'nbclient');
  const kernel = medianWall(jobs, 'kernel-start');
  const nbKernel = medianPhase(jobs, 'nbclient', 'kernelStartMs');
  const nbCells = medianPhase(jobs, 'nbclient', 'cellsMs');
  const recordDuration = medianPhase(jobs, 'http-job', 'recordDurationMs');
  const cli = medianWall(jobs, 'cli-run');
  const npmRun = medianWall(jobs, 'npm-start-run');
  const failures = [
    ...[...report.failures, ...reportAlone.failures].map((f) => `report page: ${f}`),
    ...[...notebook.failures, ...notebookAlone.failures].map((f) => `notebook page: ${f}`),
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
    stormRow('Report, one reader at a time', reportAlone, reportAlone.samples.length + reportAlone.failures.length),
    stormRow('Notebook, one viewer at a time', notebookAlone, notebookAlone.samples.length + notebookAlone.failures.length),
    '',
    '- first-contentful-paint is the page\'s own `paint` entry (PerformanceObserver), in ms after its navigation started; "outputs shown" is when the table, the decoded plot and the printed total are all in the page (a MutationObserver and image loads, in the page). "Since the storm began" adds the wait before Chromium even started the navigation, which is where a crowd on two cores queues.',
    '- The server RSS is sampled every 50 ms across the storm; "before" is just before the first navigation. Chromium\'s memory is the sum of the proportional set size of its processes, sampled every 2 s.',
    `- Both pages are the same single-page client: ${Math.round(context.clientScriptKb).toLocaleString('en')} kB of JavaScript in one file, fetched, parsed and run by every fresh context before anything is painted (the HTML is an empty \`<div id="app">\`). That, not the server, is what a crowd of fresh browsers waits for on two cores.`,
    waves
      ? `- Not all ${context.readers} at once: a Chromium page takes about ${Math.round(report.browserPssPeakKb / 1024 / report.wave)} MB here (Chromium's peak PSS divided by the pages of a wave), and only half of the ${(context.memAvailableMb / 1024).toFixed(1)} GB free may go to the crowd on a machine others share, so the ${context.readers} came in ${Math.ceil(context.readers / report.wave)} waves of ${report.wave}, each wave navigating at once and closed before the next. The server saw ${report.wave} at a time.`
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
    `- ${nbKernel / nb > 0.5 && kernel / job > 0.5 ? 'Kernel start is the biggest part of both.' : 'Kernel start, in each:'} nbclient spends a median ${ms(nbKernel)} starting the kernel (${share(nbKernel, nb)} of its wall time) and ${ms(nbCells)} running the cells; Tandem's bridge takes ${ms(kernel)} to start the same kernel alone, ${share(kernel, job)} of a job's ${ms(job)} from POST to an ok record (the record's own duration: ${ms(recordDuration)}). The cells themselves are a few tens of ms.`,
    `- A Tandem job over HTTP took ${ms(job)} against nbclient's ${ms(nb)} (medians): the server is already running, while nbclient pays for a Python process, its imports and its kernel each time. The like-for-like comparison, a fresh process each, is \`node dist/server/cli.mjs run\` at ${ms(cli)} against nbclient's ${ms(nb)}; \`npm start -- run\` (${ms(npmRun)}) adds npm and a rebuild of the server bundle before every run.`,
    '- A job polls its record every 20 ms (so up to 20 ms of the HTTP figure is the poll), and queuedMs is the wait between POST and the job starting.',
    '',
    failures.length ? `**Failures (${failures.length}):**\n\n${grouped(failures)}` : 'Every page rendered its outputs and every run finished ok.',
    '',
  ].join('\n');
}
