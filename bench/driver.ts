// A load process: runs one suite against one server and writes its result as JSON. The
// orchestrator starts one per measurement so the load never shares a process with a server.
import './lib/quiet-yjs.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { SUITES, type SuiteName } from './suites/index.js';
import type { SuiteResult, SuiteTask } from './suites/types.js';

interface DriverInput {
  suite: SuiteName;
  task: SuiteTask<never>;
  resultFile: string;
}

export type DriverOutput = { ok: true; result: SuiteResult } | { ok: false; error: string };

const input = JSON.parse(readFileSync(process.argv[2], 'utf8')) as DriverInput;
let output: DriverOutput;
try {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await SUITES[input.suite](input.task);
  const used = process.cpuUsage(cpu);
  // If this nears 1 core, the figures measure the load process as much as the server.
  result.metrics.push({
    label: 'load process CPU, whole run',
    unit: 'cores',
    value: (used.user + used.system) / 1000 / (performance.now() - start),
    better: 'none',
  });
  output = { ok: true, result };
} catch (err) {
  output = { ok: false, error: (err as Error).stack ?? String(err) };
}
writeFileSync(input.resultFile, JSON.stringify(output));
// Sockets a failed suite left open must not keep the process alive.
process.exit(0);
