// Writes bench/RESULTS.md from a run's record: machine, date, workloads, every server's figures
// side by side, Tandem's ratio to each peer and to the floor, and where Tandem loses.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ChaosSummary } from './chaos/standard-runs.js';
import type { DriverOutput } from './driver.js';
import { CLUSTER_HEADING, clusterSection } from './report-cluster.js';
import { fmt, fmtRatio, gitCommit, ratio } from './report-format.js';
import { BENCH } from './servers/paths.js';
import type { Flavor } from './servers/types.js';
import type { Metric } from './suites/types.js';
import { WHY } from './why.js';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
}

/** A column of a job's table, as it ran. */
export interface TargetRecord {
  key: string;
  label: string;
  role: 'tandem' | 'peer' | 'bound' | 'baseline';
  server: Flavor | null;
}

export interface JobRecord {
  id: string;
  title: string;
  workload: string;
  /** Absent in records written before jobs had targets: then every server of the run. */
  targets?: TargetRecord[];
  /** Jobs reported in a section of their own, after the comparison with the peers. */
  section?: 'cluster';
  /** By target key (a server's flavor for jobs without their own targets). */
  results: Record<string, DriverOutput | undefined>;
}

export interface RunRecord {
  date: string;
  /** The commit the run measured (records from before it was kept name the one at report time). */
  commit?: string;
  quick: boolean;
  command: string;
  machine: MachineInfo;
  servers: Array<{ flavor: Flavor; label: string; unavailable: string | null }>;
  jobs: JobRecord[];
  /** The chaos runs made in the same run (`npm run bench` makes both). */
  chaos?: ChaosSummary[];
  durationSeconds: number;
}

export function machineInfo(): MachineInfo {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    kernel: `Linux ${release()}`,
  };
}

const HOW: Record<Flavor, string> = {
  tandem:
    '`node dist/server/cli.mjs serve` (the bundle `npm start` runs): documents in an update log on disk (appended before broadcast), saved to `.ipynb`, roles enforced.',
  'tandem-cluster':
    "Three replicas of `node dist/server/cli.mjs serve --redis URL` with one root, state directory and token, and Debian's `redis-server` (appendonly yes, appendfsync everysec), all on this machine: updates appended to a Redis stream per notebook before broadcast, relayed by the replicas that do not own the notebook; see the Cluster mode section.",
  'y-websocket': '`bin/server.js` under plain Node: documents in memory only, no auth.',
  hocuspocus: '`bench/servers/hocuspocus-main.ts`, bundled and run under plain Node, no extensions: documents in memory only, no auth.',
  jupyter: 'Jupyter Server with jupyter-collaboration from PyPI (Python, pycrdt): SQLite update store and file saves, token auth.',
  floor:
    "`bench/servers/floor-main.ts`, bundled and run under plain Node: forwards frames between a room's sockets and keeps no document; the room's first client serves joins.",
};

/**
 * Hand-measured figures that put a job's in context (never figures of the run): printed under
 * the job's table.
 */
const CONTEXT: Record<string, string> = {
  'kernel-warm':
    "For context, not from this run: DESIGN.md section 5 measured by hand, on these machines with the same ipykernel, a warm execute round trip of 5.0 ms (median) driven from Node over ZeroMQ, and 48 ms over Jupyter Server 1.23's WebSocket (Nagle's algorithm left on; about 8 ms without).",
  'kernel-cold':
    'For context, not from this run: DESIGN.md section 5 measured by hand a cold start of about 0.66 s to the first output driven from Node over ZeroMQ (almost all of it Python imports), and about 0.79 s on Jupyter Server 1.23 from `POST /api/kernels`.',
};

/** True if Tandem's figure is worse than the other's by more than `margin`. */
function loses(m: Metric, other: number | null | undefined, margin: number): boolean {
  const r = ratio(m.value, other);
  if (r === null || m.better === 'none' || m.unit === 'yes/no') return false;
  return m.better === 'lower' ? r > 1 + margin : r < 1 / (1 + margin);
}

const RESULTS = join(BENCH, 'RESULTS.md');

const CHAOS_HEADING = '## Chaos: nothing lost under kill -9';
/** Where the sections that scripts of their own write (bench/results/*.md) follow the rest. */
const SEPARATE_HEADING = '## Measured by scripts of their own';
const SEPARATE = join(BENCH, 'results');

/**
 * Writes RESULTS.md, with the sections measured by their own scripts (`npm run
 * bench:deliverables` and the like, each writing bench/results/NAME.md) appended afresh, so
 * that no rewrite of the main report loses them.
 */
function writeResults(text: string): void {
  const main = text.split(`\n${SEPARATE_HEADING}\n`)[0].trimEnd();
  const files = existsSync(SEPARATE)
    ? readdirSync(SEPARATE)
        .filter((name) => name.endsWith('.md'))
        .sort()
    : [];
  const separate = files.map((name) =>
    readFileSync(join(SEPARATE, name), 'utf8')
      .trim()
      .replace(/^(#+) /gm, '$1# '),
  );
  const tail = separate.length
    ? `\n\n${SEPARATE_HEADING}\n\nEach section below comes from its own run, named in it; \`npm run bench\` does not repeat them.\n\n${separate.join('\n\n')}\n`
    : '\n';
  writeFileSync(RESULTS, `${main}${tail}`);
}

/**
 * Takes the sections in bench/results/*.md into RESULTS.md afresh, leaving its main part as it
 * is: for the scripts that measure on their own, once they have written theirs. Returns its path.
 */
export function refreshSeparateSections(): string {
  if (existsSync(RESULTS)) writeResults(readFileSync(RESULTS, 'utf8'));
  return RESULTS;
}

function chaosSection(run: RunRecord, chaos: ChaosSummary[]): string[] {
  const out: string[] = [];
  const p = (line = ''): void => void out.push(line);
  p(CHAOS_HEADING);
  p();
  p(
    `Run by \`${run.command}\` on ${run.date.slice(0, 16).replace('T', ' ')} UTC at commit ${run.commit ?? gitCommit()}. Eight clients edit one notebook at random (typing, inserting, deleting and moving cells, going offline for a while), while the server is SIGKILLed every 2–5 s and restarted (one process), or while one of three replicas behind nginx is (cluster, the owner more often than not). Every edit carries a unique tag; at the end every tag must be in every copy exactly once, and every copy (each client, a fresh client, the contents API, the \`.ipynb\` on disk) equal.`,
  );
  p();
  p('| run | seconds | edits | received by others | SIGKILLs | lost | duplicated | resurrected | every copy equal |');
  p('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const c of chaos) {
    const kills = c.ownerKills === null ? String(c.kills) : `${c.kills} (${c.ownerKills} of the owner)`;
    p(
      `| ${c.kind === 'cluster' ? 'cluster, 3 replicas' : 'one process'} (seed ${c.seed}) | ${c.seconds} | ${c.edits} | ${c.received} | ${kills} | ${c.lost} | ${c.duplicated} | ${c.resurrected} | ${c.allEqual ? 'yes' : '**no**'} |`,
    );
  }
  p();
  return out;
}

/** A run of the chaos alone (`npm run bench -- --suites=chaos`) replaces its section and keeps the rest. */
function replaceChaosSection(run: RunRecord, chaos: ChaosSummary[]): void {
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Tandem benchmarks\n';
  const section = chaosSection(run, chaos).join('\n');
  const at = text.indexOf(`\n${CHAOS_HEADING}\n`);
  if (at < 0) {
    // Before the cluster section, where a full run puts it.
    const cluster = text.indexOf(`\n${CLUSTER_HEADING}\n`);
    const cut = cluster < 0 ? text.length : cluster;
    writeResults(`${text.slice(0, cut).trimEnd()}\n\n${section}\n${text.slice(cut)}`);
    return;
  }
  const next = text.indexOf('\n## ', at + CHAOS_HEADING.length + 1);
  writeResults(`${text.slice(0, at)}\n${section}${next < 0 ? '' : text.slice(next)}`);
}

export function writeReport(run: RunRecord): string {
  if (run.jobs.length === 0 && run.chaos?.length) {
    replaceChaosSection(run, run.chaos);
    return RESULTS;
  }
  // A run of the cluster jobs alone (npm run bench:cluster) rewrites their section and keeps the rest.
  if (run.jobs.length > 0 && run.jobs.every((j) => j.section === 'cluster')) {
    const servers = run.servers.filter((s) => !s.unavailable);
    const section = clusterSection(run, (job) => renderJob(job, { run, servers, level: '###', losses: [], overheads: [] }));
    const kept = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8').split(`\n${CLUSTER_HEADING}\n`)[0].trimEnd() : '# Tandem benchmarks';
    writeResults(`${kept}\n\n${section.join('\n')}`);
    return RESULTS;
  }
  const servers = run.servers.filter((s) => !s.unavailable);
  const hasTandem = servers.some((s) => s.flavor === 'tandem');
  const m = run.machine;
  const out: string[] = [];
  const p = (line = ''): void => void out.push(line);

  p('# Tandem benchmarks');
  p();
  p(
    `Generated by \`${run.command}\` on ${run.date.slice(0, 16).replace('T', ' ')} UTC at commit ${run.commit ?? gitCommit()}; the run took ${(run.durationSeconds / 60).toFixed(1)} minutes.${run.quick ? ' **This is a quick run: every workload is shortened and smaller, so figures are indicative only; run `npm run bench` for the full one.**' : ''}`,
  );
  p();
  p(
    `**Machine:** ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB.toFixed(1)} GiB memory, ${m.kernel}, Node ${m.node}. Each server runs alone in a fresh process for each workload, on loopback; the load clients run in one separate Node process on the same machine, so server and load share the ${m.cores} cores. Kernels a server starts are its children; kernels measured without a server are the load process's.`,
  );
  p();
  p('**Servers**');
  p();
  p('| server | how it runs |');
  p('| --- | --- |');
  for (const s of run.servers) p(`| ${s.label} | ${s.unavailable ? `not measured: ${s.unavailable}` : HOW[s.flavor]} |`);
  p();
  p(
    "**Cost model.** Latency is wall time from the moment a writer hands an edit to its socket to the moment a receiving client has read the frame (clients do not decode updates, they find a timestamped tag in the bytes, so a thousand of them stay cheap). Kernel and environment times are wall time in the load process, from the request to the moment the output is in the client (or the environment is ready). CPU is user plus system time of the server process from /proc, in cores. Memory is resident set size from /proc: peaks are VmHWM or VmRSS polled every 25 ms; per-connection and per-notebook figures are differences of settled RSS divided by the count. Percentiles are nearest-rank. The peers keep documents in memory only; Tandem and Jupyter also write every change to disk, which is work the others do not do. Ratios are Tandem ÷ the other column: below 1× is better for Tandem where lower is better (latency, CPU, memory), above 1× where higher is better. Columns marked as bounds (the floor relay, the kernel driven with no server, the installer alone) do less than any server can; the ratio to them is Tandem's overhead.",
  );
  p();
  const others = run.jobs
    .flatMap((j) => Object.values(j.results))
    .map((r) => (r?.ok ? r.result.metrics.find((x) => x.label === 'other processes on the machine')?.value : null))
    .filter((v): v is number => typeof v === 'number')
    .sort((a, b) => a - b);
  const otherMedian = others.length ? others[Math.floor(others.length / 2)] : 0;
  if (otherMedian > 0.25) {
    p(
      `> **This run shared the machine with other work**, which used a median of ${otherMedian.toFixed(2)} of the ${m.cores} cores while the servers were measured (the row "other processes on the machine" in every table). Latency and CPU figures from such a run are dominated by scheduling delays and are not evidence for or against any server; memory figures are much less affected. Re-run \`npm run bench\` on an idle machine before drawing conclusions on speed.`,
    );
    p();
  }
  if (!hasTandem) {
    const why = run.servers.find((s) => s.flavor === 'tandem')?.unavailable ?? 'not selected';
    p(`> **Tandem was not measured in this run** (${why}). The peers and the floor below are the baseline it will be compared with.`);
    p();
  }

  const losses: string[] = [];
  const overheads: string[] = [];
  const mainJobs = run.jobs.filter((j) => !j.section);
  for (const job of mainJobs) out.push(...renderJob(job, { run, servers, level: '##', losses, overheads }));

  p('## Where Tandem loses and why');
  p();
  if (!hasTandem) {
    p('Not known yet: Tandem was not measured in this run.');
  } else {
    if (losses.length === 0) {
      p('Against its peers: nowhere by more than 10% in this run, and within 1.1× of the floor throughout.');
    } else {
      p('Every figure where Tandem is more than 10% worse than a peer, or more than 1.1× the floor:');
      p();
      for (const l of losses) p(`- ${l}`);
    }
    p();
    if (overheads.length) {
      p('What Tandem adds over the bounds (the kernel driven with no server, the installer alone), where it is more than 10%:');
      p();
      for (const o of overheads) p(`- ${o}`);
      p();
    }
    p('Why, where we know:');
    p();
    for (const w of WHY) p(`- ${w}`);
  }
  p();
  if (run.chaos?.length) out.push(...chaosSection(run, run.chaos));
  const clusterJobs = run.jobs.filter((j) => j.section === 'cluster');
  if (clusterJobs.length) out.push(...clusterSection(run, (job) => renderJob(job, { run, servers, level: '###', losses: [], overheads: [] })));
  writeResults(out.join('\n'));
  return RESULTS;
}

interface RenderContext {
  run: RunRecord;
  servers: RunRecord['servers'];
  /** Markdown heading of the job's title. */
  level: string;
  /** Where Tandem loses against a peer or the floor, and what it adds over a bound, collected across jobs. */
  losses: string[];
  overheads: string[];
}

/** One job: its title, workload, table of figures and ratios, and notes. */
export function renderJob(job: JobRecord, { run, servers, level, losses, overheads }: RenderContext): string[] {
  const m = run.machine;
  const out: string[] = [];
  const p = (line = ''): void => void out.push(line);
  p(`${level} ${job.title}`);
  p();
  p(job.workload);
  p();
  const targets = (job.targets ?? legacyTargets(servers)).filter((t) => job.results[t.key] !== undefined);
  const ok = targets.filter((t) => job.results[t.key]?.ok);
  if (ok.length === 0) {
    p('No target completed this workload.');
    for (const t of targets) {
      const r = job.results[t.key];
      if (r && !r.ok) p(`- ${t.label}: ${r.error.split('\n')[0]}`);
    }
    p();
    return out;
  }
  const ours = targets.filter((t) => t.role === 'tandem');
  const theirs = targets.filter((t) => t.role !== 'tandem');
  const short = (t: TargetRecord): string => t.label.split(' (')[0];
  // With one Tandem column a ratio reads "Tandem ÷ peer"; with several (pool or none) each says which.
  const columnName = (t: TargetRecord): string => (ours.length > 1 || theirs.some((b) => b.role === 'baseline') ? short(t) : 'Tandem');
  const pairs = ours.flatMap((a) => theirs.map((b) => ({ a, b })));
  const figureOf = (key: string, label: string): number | null | undefined => {
    const r = job.results[key];
    return r?.ok ? r.result.metrics.find((x) => x.label === label)?.value : undefined;
  };
  // Every row any column reported, in the order they first appear (Tandem's first).
  const rows: Metric[] = [];
  for (const t of [...ours, ...theirs]) {
    const r = job.results[t.key];
    if (r?.ok) for (const metric of r.result.metrics) if (!rows.some((x) => x.label === metric.label)) rows.push(metric);
  }
  const heading = (t: TargetRecord): string => `${short(t)}${t.role === 'bound' ? ' (bound)' : ''}`;
  p(`| figure | ${targets.map(heading).join(' | ')}${pairs.length ? ` | ${pairs.map(({ a, b }) => `${columnName(a)} ÷ ${short(b)}`).join(' | ')}` : ''} |`);
  p(`| --- | ${targets.map(() => '---:').join(' | ')}${pairs.length ? ` | ${pairs.map(() => '---:').join(' | ')}` : ''} |`);
  for (const metric of rows) {
    const cells = targets.map((t) => fmt(figureOf(t.key, metric.label), metric.unit));
    const comparable = metric.unit !== 'yes/no' && metric.better !== 'none';
    const ratios = pairs.map(({ a, b }) => (comparable ? fmtRatio(ratio(figureOf(a.key, metric.label), figureOf(b.key, metric.label))) : ''));
    p(`| ${metric.label} (${metric.unit}) | ${cells.join(' | ')}${pairs.length ? ` | ${ratios.join(' | ')}` : ''} |`);
    for (const a of ours) {
      const tandem = figureOf(a.key, metric.label);
      if (tandem === undefined) continue;
      const where = ours.length > 1 ? `${job.title} (${a.label})` : job.title;
      const tm = { ...metric, value: tandem ?? null };
      if (metric.unit === 'yes/no' && tandem === 0) losses.push(`**${where}: ${metric.label}: no.**`);
      const beaten = theirs.filter((b) => b.role === 'peer' && loses(tm, figureOf(b.key, metric.label), 0.1));
      const floor = theirs.find((b) => b.server === 'floor');
      const overFloor = floor !== undefined && loses(tm, figureOf(floor.key, metric.label), 0.1);
      if (beaten.length || overFloor) {
        const against = [
          ...beaten.map((b) => `${short(b)} ${fmt(figureOf(b.key, metric.label), metric.unit)}`),
          ...(overFloor
            ? [`floor ${fmt(figureOf(floor.key, metric.label), metric.unit)} (${fmtRatio(ratio(tandem, figureOf(floor.key, metric.label)))}, target ≤ 1.10×)`]
            : []),
        ];
        losses.push(`${where}, ${metric.label}: Tandem ${fmt(tandem, metric.unit)} ${metric.unit} against ${against.join('; ')}.`);
      }
      // The other bounds have no target: what Tandem adds over them is stated, not judged.
      const over = theirs.filter((b) => b.role === 'bound' && b.server !== 'floor' && loses(tm, figureOf(b.key, metric.label), 0.1));
      if (over.length) {
        const against = over.map(
          (b) => `${fmtRatio(ratio(tandem, figureOf(b.key, metric.label)))} ${short(b)} (${fmt(figureOf(b.key, metric.label), metric.unit)})`,
        );
        overheads.push(`${where}, ${metric.label}: Tandem ${fmt(tandem, metric.unit)} ${metric.unit}, ${against.join('; ')}.`);
      }
    }
  }
  p();
  // Kernel and environment times are short waits that a busy scheduler stretches: say so
  // where it happened, not only in the run's median at the top.
  const busy = ok.map((t) => figureOf(t.key, 'other processes on the machine')).filter((v): v is number => typeof v === 'number');
  if (busy.length && Math.max(...busy) > 0.25) {
    p(
      `> The machine was busy during this job: other processes used ${fmt(Math.min(...busy), 'cores')}–${fmt(Math.max(...busy), 'cores')} of the ${m.cores} cores while its columns were measured, so its times are stretched by scheduling, unevenly between columns.`,
    );
    p();
  }
  const notes: string[] = [];
  for (const t of targets) {
    const r = job.results[t.key];
    if (!r) continue;
    if (!r.ok) notes.push(`${t.label} did not complete: ${r.error.split('\n')[0]}`);
    else for (const n of r.result.notes) notes.push(`${t.label}: ${n}`);
  }
  for (const n of notes) p(`- ${n}`);
  if (notes.length) p();
  if (CONTEXT[job.id]) {
    p(`> ${CONTEXT[job.id]}`);
    p();
  }
  return out;
}

/** Before jobs recorded their targets, every job ran on every available server. */
function legacyTargets(servers: RunRecord['servers']): TargetRecord[] {
  return servers.map((s) => ({
    key: s.flavor,
    label: s.label,
    role: s.flavor === 'tandem' ? 'tandem' : s.flavor === 'floor' ? 'bound' : 'peer',
    server: s.flavor,
  }));
}
