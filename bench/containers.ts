// Container runtime figures (issue 16), beside the local runtime and a bare `podman run` of the
// same image, in one run on this machine:
//
//   npx tsx bench/containers.ts --base "$(npm run --silent images:local-base | tail -1)"
//
// - a cold environment image build (a specification never built before; the kernel image and
//   the shared venv layer are cached, as they are after a server's first build);
// - a rebuild after one more requirement (only the install layer is built again);
// - a cached image to the first output of a new kernel session (start, connect, execute);
// - the same for a local kernel, and for `podman run IMAGE python -c print(1)` (a container
//   and a Python, without ipykernel or ZeroMQ) as the floor;
// - a warm container (the kernel image, from a warm pool of one) to the first output: claimed,
//   its slot given the notebook's folder by a bind mount, personalised, connected and
//   executed; beside a local warm kernel claimed the same way. Needs root (the mounts).
// Wheels are built locally and installed with --no-index, so no figure includes the network.
// Prints a Markdown section and keeps it in bench/results/containers.md (RESULTS.md appends it).

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRuntime, silentLogger } from '../kernel-bridge';
import { ContainerRuntime, Podman, WarmSlots } from '../kernel-bridge/containers';
import { normaliseEnvironmentSpec, readEnvironmentSpec } from '../kernel-bridge/environments';
import type { KernelRuntime } from '../kernel-bridge/runtimes/runtime';
import { imageEnvironments } from '../server/environments/image-environments';
import { buildWheel } from '../test/environments/wheels';
import { benchKernelSpec, firstOutput } from './lib/direct-kernel';
import { formatted } from './lib/format-markdown';
import { median } from './lib/stats';
import { warmFirstOutputs } from './lib/warm-first-outputs';
import { refreshSeparateSections } from './report';
import { BENCH } from './servers/paths';

const { values } = parseArgs({ options: { base: { type: 'string' }, runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** `podman run` of the image to the first byte python prints, ms. */
function barePodmanRun(image: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('podman', ['run', '--rm', '--init', '--entrypoint', 'python', image, '-c', 'print(1)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let at: number | undefined;
    child.stdout.once('data', () => (at = performance.now() - started));
    child.once('close', (code) => (code === 0 && at !== undefined ? resolve(at) : reject(new Error(`podman run exited ${code}`))));
  });
}

async function main(): Promise<void> {
  if (!values.base) throw new Error('--base IMAGE is required (npm run images:local-base prints one)');
  const podman = new Podman();
  const environments = imageEnvironments({ kernelBaseImage: values.base }, podman);
  const kernelPlan = await environments.resolve(undefined);
  await environments.ensure(kernelPlan);

  const folder = mkdtempSync(join(tmpdir(), 'tandem-bench-containers-'));
  // The kernel's user (uid 1000) changes into the folder when it claims a warm container.
  chmodSync(folder, 0o755);
  // A version no earlier run has built, so the first build is cold.
  const version = `1.0.${Date.now()}`;
  buildWheel(join(folder, 'wheels'), 'bench-pkg', version);
  buildWheel(join(folder, 'wheels'), 'bench-extra', '1.0.0');
  const spec = (requirements: string[]) =>
    normaliseEnvironmentSpec(readEnvironmentSpec({ requirements: [...requirements, '--find-links ./wheels', '--no-index'] }), folder);
  const first = await environments.resolve(spec([`bench-pkg==${version}`]));
  const coldMs = await timed(() => environments.ensure(first));
  const second = await environments.resolve(spec([`bench-pkg==${version}`, 'bench-extra==1.0.0']));
  const rebuildMs = await timed(() => environments.ensure(second));

  const containers = new ContainerRuntime({ podman, serverId: 'bench', limits: { memory: '512m', cpus: '1', pids: 512 } });
  const inImage: KernelRuntime = { launch: (request) => containers.launch({ ...request, image: first.image }) };
  const container: number[] = [];
  const local: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    container.push(await firstOutput(inImage, folder, 30_000));
    local.push(await firstOutput(undefined, folder, 30_000));
    bare.push(await barePodmanRun(first.image));
  }

  // Warm: the kernel image (the default environment), from a pool of one, as a notebook takes it.
  const kernelSpec = await benchKernelSpec();
  const slots = new WarmSlots(mkdtempSync(join(tmpdir(), 'tandem-bench-slots-')), silentLogger);
  await slots.prepare();
  if (!slots.enabled) throw new Error('warm containers need root (to mount notebook folders into running containers)');
  const warmContainers = new ContainerRuntime({ podman, serverId: 'bench', limits: { memory: '512m', cpus: '1', pids: 512 }, slots });
  const imagePlan = { environmentId: kernelPlan.id, image: kernelPlan.image };
  let warmContainer: number[];
  try {
    warmContainer = await warmFirstOutputs(warmContainers, { key: kernelPlan.id, spec: kernelSpec, launch: imagePlan }, imagePlan, folder, RUNS);
  } finally {
    await slots.close();
  }
  const warmLocal = await warmFirstOutputs(
    new LocalRuntime({ logger: silentLogger }),
    { key: 'local', spec: kernelSpec },
    { environmentId: 'local' },
    folder,
    RUNS,
  );
  await environments.close();

  const seconds = (name: string, ms: number, vs?: number) => `| ${name} | ${(ms / 1000).toFixed(2)} |${vs ? ` ${(ms / vs).toFixed(1)}× |` : ' |'}`;
  const millis = (name: string, ms: number, vs: number) => `| ${name} | ${ms.toFixed(0)} | ${(ms / vs).toFixed(1)}× |`;
  const load = loadavg().map((n) => n.toFixed(1));
  const lines = [
    '## Containers: kernels in podman containers (issue 16)',
    '',
    `Measured by \`npm run bench:containers\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} cores, load average ${load.join(' / ')} (1/5/15 min) at the end; podman with runc, as root; medians of ${RUNS} runs for first outputs. Each first output is from the request for a kernel to the first output of \`print(1)\` in the client.`,
    '',
    '| figure | seconds | ÷ local kernel |',
    '| --- | ---: | ---: |',
    seconds('cold environment image build (one local wheel)', coldMs),
    seconds('rebuild after one more requirement', rebuildMs),
    seconds('cached image to first output (container kernel)', median(container), median(local)),
    seconds('local kernel to first output', median(local), median(local)),
    seconds('bare `podman run IMAGE python -c print(1)` to its output', median(bare), median(local)),
    '',
    '| figure | ms | ÷ local warm kernel |',
    '| --- | ---: | ---: |',
    millis('warm container to first output (claimed: folder mounted, personalised, connected)', median(warmContainer), median(warmLocal)),
    millis('local warm kernel to first output (claimed from the warm pool)', median(warmLocal), median(warmLocal)),
    '',
    `A warm container's first output comes ${(median(warmContainer) - median(warmLocal)).toFixed(0)} ms after a local warm kernel's, and ${(median(container) - median(warmContainer)).toFixed(0)} ms before a container started for the notebook.`,
  ];
  const results = join(BENCH, 'results', 'containers.md');
  mkdirSync(dirname(results), { recursive: true });
  writeFileSync(results, `${lines.join('\n')}\n`);
  formatted(results);
  formatted(refreshSeparateSections());
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
