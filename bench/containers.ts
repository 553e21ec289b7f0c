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
//   and a Python, without ipykernel or ZeroMQ) as the floor.
// Wheels are built locally and installed with --no-index, so no figure includes the network.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ContainerRuntime, Podman } from '../kernel-bridge/containers';
import { normaliseEnvironmentSpec, readEnvironmentSpec } from '../kernel-bridge/environments';
import type { KernelRuntime } from '../kernel-bridge/runtimes/runtime';
import { imageEnvironments } from '../server/environments/image-environments';
import { buildWheel } from '../test/environments/wheels';
import { firstOutput } from './lib/direct-kernel';
import { median } from './lib/stats';

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
  await environments.close();

  const row = (name: string, ms: number, vs?: number) => `| ${name} | ${(ms / 1000).toFixed(2)} |${vs ? ` ${(ms / vs).toFixed(1)}× |` : ' |'}`;
  const lines = [
    `Machine: ${(await import('node:os')).cpus().length} cores, podman with runc; medians of ${RUNS} runs for first outputs.`,
    '',
    '| figure | seconds | ÷ local kernel |',
    '| --- | ---: | ---: |',
    row('cold environment image build (one local wheel)', coldMs),
    row('rebuild after one more requirement', rebuildMs),
    row('cached image to first output (container kernel)', median(container), median(local)),
    row('local kernel to first output', median(local), median(local)),
    row('bare `podman run IMAGE python -c print(1)` to its output', median(bare), median(local)),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
