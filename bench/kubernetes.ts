// Kubernetes runtime figures (issue 19), beside the container runtime, a local kernel and a bare
// pod create of the same image, in one run on this machine, on the local cluster's tier 2 (a
// real kubelet on containerd, pulling from a registry on 127.0.0.1):
//
//   npx tsx bench/kubernetes.ts --base "$(npm run --silent images:local-base | tail -1)"
//
// Prints a Markdown section and keeps it in bench/results/kubernetes.md (RESULTS.md appends it).
//
// - a cached image (built, pushed and pulled once before) to the first output of a new kernel
//   session in a pod (pod create, schedule, start, connect, execute);
// - the same in a podman container, for a local kernel, and for a bare pod running
//   `python -c print(1)` from the same image (created to its phase Succeeded: no ipykernel,
//   no ZeroMQ, no Secret) as the floor;
// - a one-package environment change to the first output in a pod: the image build, its push,
//   the pull of its new layer and the kernel's start;
// - a warm pod to the first output (the warm pool's pod claimed: relabelled, personalised,
//   connected, executed), beside a local warm kernel claimed the same way.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { buildClusterBinaries, startCluster } from '../k8s/local-cluster';
import { prepareNamespace } from '../k8s/namespace';
import { LocalRuntime, silentLogger } from '../kernel-bridge';
import { ContainerRuntime, Podman } from '../kernel-bridge/containers';
import { normaliseEnvironmentSpec, readEnvironmentSpec } from '../kernel-bridge/environments';
import { KubernetesRuntime, RegistryPublisher } from '../kernel-bridge/kubernetes';
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
const NAMESPACE = 'bench';

/** A pod that runs `python -c print(1)` from the image, created to its phase Succeeded, ms. */
async function barePod(core: k8s.CoreV1Api, image: string, index: number): Promise<number> {
  const name = `bare-${Date.now()}-${index}`;
  const started = performance.now();
  await core.createNamespacedPod({
    namespace: NAMESPACE,
    body: {
      metadata: { name },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{ name: 'python', image, command: ['python', '-c', 'print(1)'], resources: { limits: { memory: '512Mi', cpu: '250m' } } }],
      },
    },
  });
  for (;;) {
    const pod = await core.readNamespacedPod({ name, namespace: NAMESPACE });
    if (pod.status?.phase === 'Succeeded') break;
    if (pod.status?.phase === 'Failed') throw new Error(`the bare pod failed: ${JSON.stringify(pod.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const elapsed = performance.now() - started;
  await core.deleteNamespacedPod({ name, namespace: NAMESPACE, gracePeriodSeconds: 0 });
  return elapsed;
}

async function main(): Promise<void> {
  if (!values.base) throw new Error('--base IMAGE is required (npm run images:local-base prints one)');
  const cluster = await startCluster(mkdtempSync(join(tmpdir(), 'tandem-bench-k8s-')), await buildClusterBinaries(), 2);
  try {
    await prepareNamespace(cluster.kubeconfig, NAMESPACE);
    const config = new k8s.KubeConfig();
    config.loadFromFile(cluster.kubeconfig);
    const core = config.makeApiClient(k8s.CoreV1Api);
    const podman = new Podman();
    const environments = imageEnvironments({ kernelBaseImage: values.base }, podman);
    const publisher = new RegistryPublisher({ podman, registry: cluster.registry! });
    const pods = new KubernetesRuntime({
      config,
      namespace: NAMESPACE,
      serverId: 'bench',
      image: 'unused',
      publish: (image, progress) => publisher.publish(image, progress),
      resources: { defaults: { memoryBytes: 512 * 2 ** 20, cpuMillis: 250 }, max: { memoryBytes: 512 * 2 ** 20, cpuMillis: 250 } },
    });
    const folder = mkdtempSync(join(tmpdir(), 'tandem-bench-kubernetes-'));
    const kernelPlan = await environments.resolve(undefined);
    await environments.ensure(kernelPlan);
    const inPod: KernelRuntime = { launch: (request) => pods.launch({ ...request, image: kernelPlan.image }) };
    // Once, untimed: the push, and the node's pull, of the cached image.
    await firstOutput(inPod, folder, 120_000);
    const pulled = await publisher.publish(kernelPlan.image);

    const containers = new ContainerRuntime({ podman, serverId: 'bench', limits: { memory: '512m', cpus: '0.25', pids: 512 } });
    const inContainer: KernelRuntime = { launch: (request) => containers.launch({ ...request, image: kernelPlan.image }) };
    const pod: number[] = [];
    const container: number[] = [];
    const local: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      pod.push(await firstOutput(inPod, folder, 120_000));
      container.push(await firstOutput(inContainer, folder, 120_000));
      local.push(await firstOutput(undefined, folder, 120_000));
      bare.push(await barePod(core, pulled, i));
    }

    const spec = await benchKernelSpec();
    const imagePlan = { environmentId: kernelPlan.id, image: kernelPlan.image };
    const warmPod = await warmFirstOutputs(pods, { key: kernelPlan.id, spec, launch: imagePlan }, imagePlan, folder, RUNS);
    const warmLocal = await warmFirstOutputs(new LocalRuntime({ logger: silentLogger }), { key: 'local', spec }, { environmentId: 'local' }, folder, RUNS);

    // A version no earlier run has built: the build, push and pull are all cold for its layer.
    const version = `1.0.${Date.now()}`;
    buildWheel(join(folder, 'wheels'), 'bench-pkg', version);
    const plan = await environments.resolve(
      normaliseEnvironmentSpec(readEnvironmentSpec({ requirements: [`bench-pkg==${version}`, '--find-links ./wheels', '--no-index'] }), folder),
    );
    const changeStarted = performance.now();
    await environments.ensure(plan);
    const changed: KernelRuntime = { launch: (request) => pods.launch({ ...request, image: plan.image }) };
    const changeMs = performance.now() - changeStarted + (await firstOutput(changed, folder, 120_000));

    await pods.close();
    await environments.close();
    const row = (name: string, ms: number, vs?: number) => `| ${name} | ${ms.toFixed(0)} |${vs ? ` ${(ms / vs).toFixed(1)}× |` : ' |'}`;
    const load = loadavg().map((n) => n.toFixed(1));
    const lines = [
      '## Kubernetes: kernels in pods (issue 19)',
      '',
      `Measured by \`npm run bench:kubernetes\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} cores, load average ${load.join(' / ')} (1/5/15 min) at the end; tier 2 local cluster (kubelet, containerd 1.6, runc, bridge CNI); medians of ${RUNS} runs. Each first output is from the request for a kernel to the first output of \`print(1)\` in the client.`,
      '',
      '| figure | ms | ÷ local kernel |',
      '| --- | ---: | ---: |',
      row('cached image to first output (kernel in a pod)', median(pod), median(local)),
      row('cached image to first output (kernel in a podman container)', median(container), median(local)),
      row('local kernel to first output', median(local), median(local)),
      row('bare pod `python -c print(1)`, created to Succeeded', median(bare), median(local)),
      row('one-package environment change to first output in a pod (build, push, pull, start)', changeMs),
      '',
      '| figure | ms | ÷ local warm kernel |',
      '| --- | ---: | ---: |',
      row('warm pod to first output (claimed from the warm pool: relabelled, personalised, connected)', median(warmPod), median(warmLocal)),
      row('local warm kernel to first output (claimed from the warm pool)', median(warmLocal), median(warmLocal)),
      '',
      `A warm pod's first output comes ${(median(warmPod) - median(warmLocal)).toFixed(0)} ms after a local warm kernel's (goal: within 100 ms; Enterprise Gateway's users report 65 s for a cold kernel pod).`,
    ];
    const results = join(BENCH, 'results', 'kubernetes.md');
    mkdirSync(dirname(results), { recursive: true });
    writeFileSync(results, `${lines.join('\n')}\n`);
    formatted(results);
    formatted(refreshSeparateSections());
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
