// npm run bench [-- --quick] [--servers=tandem,floor] [--suites=propagation,join]
// Runs every job against every server, each server fresh and alone, the load in a separate
// process, then writes bench/RESULTS.md (and the raw figures to bench/.work/results.json).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { full, quick } from './config.js';
import { jobsFor, type Job } from './suites/index.js';
import { LAUNCHERS } from './servers/index.js';
import { BENCH, REPO, WORK } from './servers/paths.js';
import type { Flavor, RunningServer } from './servers/types.js';
import type { DriverOutput } from './driver.js';
import { machineInfo, writeReport, type RunRecord } from './report.js';
import { machineBusySeconds, readCpuSeconds } from './lib/proc.js';

const args = process.argv.slice(2);
if (args.includes('--report-only')) {
  // Rewrite RESULTS.md from the last run's figures (after editing why.ts or the report).
  console.log(`wrote ${writeReport(JSON.parse(readFileSync(join(WORK, 'results.json'), 'utf8')) as RunRecord)}`);
  process.exit(0);
}
const isQuick = args.includes('--quick');
const option = (name: string): string[] | null =>
  args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1].split(',').filter(Boolean) ?? null;
const config = isQuick ? quick : full;
const wantedServers = (option('servers') as Flavor[] | null) ?? config.servers;
const wantedSuites = option('suites');
const jobs = jobsFor(config).filter((j) => !wantedSuites || wantedSuites.some((s) => j.id.startsWith(s)));

const runDir = join(WORK, 'run');
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });

const started = Date.now();
const log = (msg: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

const record: RunRecord = {
  date: new Date().toISOString(),
  quick: isQuick,
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  machine: machineInfo(),
  servers: [],
  jobs: jobs.map((j) => ({ id: j.id, title: j.title, workload: j.workload, results: {} })),
  durationSeconds: 0,
};

for (const flavor of wantedServers) {
  const launcher = LAUNCHERS[flavor];
  log(`checking ${flavor}`);
  const why = await launcher.unavailable();
  record.servers.push({ flavor, label: launcher.label, unavailable: why });
  if (why) log(`  ${flavor} skipped: ${why}`);
}
const available = record.servers.filter((s) => !s.unavailable);

function runDriver(job: Job, server: RunningServer, dir: string): Promise<DriverOutput> {
  const taskFile = join(dir, 'task.json');
  const resultFile = join(dir, 'result.json');
  writeFileSync(
    taskFile,
    JSON.stringify({
      suite: job.suite,
      task: { server: server.info, params: job.params, connectBatch: config.connectBatch, workDir: dir },
      resultFile,
    }),
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH, 'driver.ts'), taskFile], {
      cwd: REPO,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), config.jobTimeoutSeconds * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (existsSync(resultFile)) resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as DriverOutput);
      else resolve({ ok: false, error: signal === 'SIGKILL' ? `load process killed after ${config.jobTimeoutSeconds} s` : `load process exited with ${code ?? signal}` });
    });
  });
}

const conformanceServer = config.conformanceOn.find((f) => available.some((s) => s.flavor === f));
for (const [i, job] of jobs.entries()) {
  // The provider check is about the load client, so once per run is enough.
  const targets = job.suite === 'conformance' ? available.filter((s) => s.flavor === conformanceServer) : available;
  for (const s of targets) {
    const dir = join(runDir, `${job.id}-${s.flavor}`);
    mkdirSync(dir, { recursive: true });
    log(`${job.title}: ${s.label}`);
    let server: RunningServer;
    try {
      server = await LAUNCHERS[s.flavor].start({ workDir: dir, logFile: join(dir, 'server.log') });
    } catch (err) {
      record.jobs[i].results[s.flavor] = { ok: false, error: `server did not start: ${(err as Error).message}` };
      log(`  server did not start: ${(err as Error).message}`);
      continue;
    }
    let crashed: string | null = null;
    void server.exited.then((code) => (crashed = String(code)));
    const busy0 = machineBusySeconds();
    const server0 = readCpuSeconds(server.info.pid) ?? 0;
    const t0 = performance.now();
    const out = await runDriver(job, server, dir);
    if (out.ok) {
      // CPU that neither the server nor the load used: other work on the machine, which makes
      // the figures noisier. Reported so that a reader can discount a disturbed run.
      const seconds = (performance.now() - t0) / 1000;
      const serverCpu = (readCpuSeconds(server.info.pid) ?? server0) - server0;
      const loadCores = out.result.metrics.find((x) => x.label === 'load process CPU, whole run')?.value ?? 0;
      const other = (machineBusySeconds() - busy0 - serverCpu) / seconds - loadCores;
      out.result.metrics.push({ label: 'other processes on the machine', unit: 'cores', value: Math.max(0, other), better: 'none' });
    }
    if (crashed !== null) {
      const note = `The server process exited during the run (${crashed}); see ${join(dir, 'server.log')}.`;
      if (out.ok) out.result.notes.push(note);
      else out.error += ` ${note}`;
    }
    await server.stop();
    record.jobs[i].results[s.flavor] = out;
    if (!out.ok) log(`  failed: ${out.error.split('\n')[0]}`);
    else log(`  ${out.result.metrics.slice(0, 3).map((m) => `${m.label} ${m.value === null ? '-' : m.value.toFixed(2)}`).join(', ')}`);
  }
}

record.durationSeconds = (Date.now() - started) / 1000;
writeFileSync(join(WORK, 'results.json'), JSON.stringify(record, null, 2));
const file = writeReport(record);
log(`wrote ${file}`);
