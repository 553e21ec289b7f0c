// npm run bench [-- --quick] [--servers=tandem,floor] [--suites=propagation,join,chaos]
// npm run bench:cluster [-- --quick]: the cluster jobs alone, rewriting only their section of RESULTS.md.
// Runs every job against each of its targets (every server, unless the job names its own: the
// kernel jobs add the kernel driven with no server), each server fresh and alone, the load in a
// separate process, then writes bench/RESULTS.md (and the raw figures to
// bench/.work/results.json).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { standardChaos, summarise } from './chaos/standard-runs.js';
import { full, quick } from './config.js';
import type { DriverOutput } from './driver.js';
import { buildTandem } from './lib/bundle.js';
import { formatted } from './lib/format-markdown.js';
import { machineBusySeconds, readTreeCpuSeconds, reapedChildrenCpuSeconds } from './lib/proc.js';
import { killedPids, killStarted } from './lib/replica-control.js';
import { medianOfRounds } from './lib/rounds.js';
import { withOpenFilesRaised } from './lib/spawn.js';
import { type JobRecord, machineInfo, type RunRecord, writeReport } from './report.js';
import { gitCommit } from './report-format.js';
import { LAUNCHERS } from './servers/index.js';
import { BENCH, REPO, WORK } from './servers/paths.js';
import type { Flavor, RunningServer } from './servers/types.js';
import { type Job, jobsFor, serverTargets, type Target } from './suites/index.js';

const args = process.argv.slice(2);
if (args.includes('--report-only')) {
  // Rewrite RESULTS.md from the last run's figures (after editing why.ts or the report).
  // The cluster jobs' and the chaos runs' own runs, if there were any since, go over their sections.
  for (const name of ['results.json', 'results-cluster.json', 'results-chaos.json']) {
    const file = join(WORK, name);
    if (existsSync(file)) console.log(`wrote ${formatted(writeReport(JSON.parse(readFileSync(file, 'utf8')) as RunRecord))} from ${name}`);
  }
  process.exit(0);
}
const isQuick = args.includes('--quick');
const option = (name: string): string[] | null =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.split('=')[1]
    .split(',')
    .filter(Boolean) ?? null;
const config = isQuick ? quick : full;
const chosenServers = option('servers') as Flavor[] | null;
const wantedServers = chosenServers ?? config.servers;
const wantedSuites = option('suites');
const jobs = jobsFor(config).filter((j) => !wantedSuites || wantedSuites.some((s) => j.id.startsWith(s)));
// The servers the chosen jobs use. Jobs that name their targets (the kernel jobs) bring their
// own, Jupyter Server even in the quick run, unless --servers says otherwise.
const jobServers = jobs.flatMap((j) => (j.targets ? j.targets.flatMap((t) => (t.server ? [t.server] : [])) : wantedServers));
const checkedServers = [...wantedServers, ...jobServers].filter(
  (f, i, all) => all.indexOf(f) === i && jobServers.includes(f) && (!chosenServers || chosenServers.includes(f)),
);

const runDir = join(WORK, 'run');
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });

const started = Date.now();
const log = (msg: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

const record: RunRecord = {
  date: new Date().toISOString(),
  commit: gitCommit(),
  quick: isQuick,
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  machine: machineInfo(),
  servers: [],
  jobs: [],
  durationSeconds: 0,
};

if (checkedServers.some((f) => f === 'tandem' || f === 'tandem-cluster')) buildTandem();
for (const flavor of checkedServers) {
  const launcher = LAUNCHERS[flavor];
  log(`checking ${flavor}`);
  const why = await launcher.unavailable();
  record.servers.push({ flavor, label: launcher.label, unavailable: why });
  if (why) log(`  ${flavor} skipped: ${why}`);
}
const available = new Set(record.servers.filter((s) => !s.unavailable).map((s) => s.flavor));
const conformanceServer = config.conformanceOn.find((f) => available.has(f) && wantedServers.includes(f));

/** The job's columns that can run here, in table order. */
function targetsOf(job: Job): Target[] {
  let targets = job.targets ?? serverTargets(wantedServers);
  // The provider check is about the load client, so once per run is enough.
  if (job.suite === 'conformance') targets = targets.filter((t) => t.server === conformanceServer);
  return targets.filter((t) => t.server === null || (available.has(t.server) && (!chosenServers || chosenServers.includes(t.server))));
}

function runDriver(job: Job, target: Target, server: RunningServer | null, dir: string): Promise<DriverOutput> {
  const taskFile = join(dir, 'task.json');
  const resultFile = join(dir, 'result.json');
  const timeoutSeconds = job.timeoutSeconds ?? config.jobTimeoutSeconds;
  writeFileSync(
    taskFile,
    JSON.stringify({
      suite: job.suite,
      task: { server: server?.info ?? null, target: target.key, params: job.params, connectBatch: config.connectBatch, workDir: dir },
      resultFile,
    }),
  );
  return new Promise((resolve) => {
    const [cmd, cmdArgs] = withOpenFilesRaised(process.execPath, ['--import', 'tsx', join(BENCH, 'driver.ts'), taskFile]);
    const child = spawn(cmd, cmdArgs, {
      cwd: REPO,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (existsSync(resultFile)) resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as DriverOutput);
      else resolve({ ok: false, error: signal === 'SIGKILL' ? `load process killed after ${timeoutSeconds} s` : `load process exited with ${code ?? signal}` });
    });
  });
}

/** One measurement: the target's server started fresh, the load process run against it, both ended. */
async function measure(job: Job, t: Target, dir: string): Promise<DriverOutput> {
  mkdirSync(dir, { recursive: true });
  let server: RunningServer | null = null;
  if (t.server) {
    try {
      // `{workDir}` in a target's options is this measurement's folder (say, for a file the server writes).
      const args = t.serverArgs?.map((a) => a.replaceAll('{workDir}', dir));
      server = await LAUNCHERS[t.server].start({ workDir: dir, logFile: join(dir, 'server.log'), args });
    } catch (err) {
      return { ok: false, error: `server did not start: ${(err as Error).message}` };
    }
  }
  let crashed: string | null = null;
  void server?.exited.then((code) => (crashed = String(code)));
  const busy0 = machineBusySeconds();
  // A cluster's CPU is that of all its replicas and its Redis.
  const serverPids = server ? (server.info.pids ?? [server.info.pid]) : [];
  const serverCpuNow = (): number => serverPids.reduce((sum, pid) => sum + (readTreeCpuSeconds(pid) ?? 0), 0);
  const server0 = serverCpuNow();
  const load0 = reapedChildrenCpuSeconds();
  const t0 = performance.now();
  const out = await runDriver(job, t, server, dir);
  if (out.ok) {
    // CPU that neither the server (with its kernels) nor the load process (with its own
    // kernels) used: other work on the machine, which makes the figures noisier. Reported so
    // that a reader can discount a disturbed run.
    const seconds = (performance.now() - t0) / 1000;
    const serverCpu = serverCpuNow() - server0;
    // The load process has exited and been reaped by now, so its CPU, and that of every
    // kernel it started and reaped, is in our children's total.
    const loadCpu = reapedChildrenCpuSeconds() - load0;
    const other = (machineBusySeconds() - busy0 - serverCpu - loadCpu) / seconds;
    out.result.metrics.push({ label: 'other processes on the machine', unit: 'cores', value: Math.max(0, other), better: 'none' });
  }
  // The failover run kills servers on purpose, and says so first (a cluster's launcher checks its replicas itself).
  const killedOnPurpose = server !== null && !server.info.replicas && killedPids(dir).includes(server.info.pid);
  if (crashed !== null && !killedOnPurpose) {
    const note = `The server process exited during the run (${crashed}); see ${join(dir, 'server.log')}.`;
    if (out.ok) out.result.notes.push(note);
    else out.error += ` ${note}`;
  }
  await server?.stop();
  // Servers the load process started itself (a restart after kill -9) and did not stop.
  killStarted(dir);
  return out;
}

for (const job of jobs) {
  const targets = targetsOf(job).map((t) => ({ ...t, label: t.label ?? (t.server ? LAUNCHERS[t.server].label : t.key) }));
  const jobRecord: JobRecord = {
    id: job.id,
    title: job.title,
    workload: job.workload,
    section: job.section,
    targets: targets.map(({ key, label, role, server }) => ({ key, label, role, server })),
    results: {},
  };
  record.jobs.push(jobRecord);
  // Several rounds alternate the columns, so that a burst of other work on the machine does
  // not fall on one column alone; each figure is then the median of the rounds.
  const rounds = job.rounds ?? 1;
  const outputs = new Map<string, DriverOutput[]>(targets.map((t) => [t.key, []]));
  for (let round = 0; round < rounds; round++) {
    for (const t of targets) {
      log(`${job.title}: ${t.label}${rounds > 1 ? ` (round ${round + 1} of ${rounds})` : ''}`);
      const out = await measure(job, t, join(runDir, `${job.id}-${t.key}${rounds > 1 ? `-${round + 1}` : ''}`));
      outputs.get(t.key)!.push(out);
      if (!out.ok) log(`  failed: ${out.error.split('\n')[0]}`);
      else
        log(
          `  ${out.result.metrics
            .slice(0, 3)
            .map((m) => `${m.label} ${m.value === null ? '-' : m.value.toFixed(2)}`)
            .join(', ')}`,
        );
    }
  }
  for (const t of targets) jobRecord.results[t.key] = medianOfRounds(outputs.get(t.key)!);
}

// The chaos runs, so that RESULTS.md carries its own evidence that nothing is lost.
if (!wantedSuites || wantedSuites.includes('chaos')) {
  record.chaos = [];
  for (const kind of ['single', 'cluster'] as const) {
    const seconds = isQuick ? 20 : 60;
    const seed = Date.now() % 1_000_000;
    log(`chaos (${kind}), ${seconds} s, seed ${seed}`);
    try {
      const report = await standardChaos(kind, { seconds, seed });
      record.chaos.push(summarise(kind, seconds, seed, report));
    } catch (error) {
      log(`  chaos (${kind}) failed to run: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

record.durationSeconds = (Date.now() - started) / 1000;
const clusterOnly = record.jobs.length > 0 && record.jobs.every((j) => j.section === 'cluster');
const chaosOnly = record.jobs.length === 0;
writeFileSync(join(WORK, clusterOnly ? 'results-cluster.json' : chaosOnly ? 'results-chaos.json' : 'results.json'), JSON.stringify(record, null, 2));
log(`wrote ${formatted(writeReport(record))}`);
