// Tier 1 Kubernetes tests: a real control plane (etcd, kube-apiserver, kube-scheduler) and a kwok
// node, started by each test file in its own directory. Pods are scheduled and reach Running,
// but no container runs, so no kernel ever answers: these tests cover what the runtime creates,
// how it follows pods, and what it is allowed to do, not code execution. The binaries come from
// k8s/build.sh, which .ci/run calls (with the network) before the tests; without them, the
// tests are skipped with a message saying so.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect } from 'vitest';
import { clusterBinaries, type LocalCluster, startCluster } from '../../k8s/local-cluster';
import { prepareNamespace } from '../../k8s/namespace';
import { eventually } from '../helpers/clients';
import type { TandemProcess } from '../helpers/tandem';

const REPO = path.resolve(import.meta.dirname, '../..');
export const DEPLOY_DIR = path.join(REPO, 'deploy/kubernetes');

/** Whether this machine has the cluster's binaries (and for tier 2, containerd); if not, why the tests skip. */
export async function clusterAvailable(tier: 1 | 2 = 1): Promise<{ available: boolean; reason: string }> {
  const { present } = await clusterBinaries();
  if (!present) return { available: false, reason: 'the local Kubernetes binaries are not built: run k8s/build.sh (.ci/run does)' };
  if (tier === 2 && !existsSync('/usr/bin/containerd')) return { available: false, reason: "Debian's containerd is not installed (.ci/run installs it)" };
  return { available: true, reason: '' };
}

export interface TestCluster {
  cluster: LocalCluster;
  admin: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  networking: k8s.NetworkingV1Api;
}

/** Starts a cluster for the test file (before its tests) and stops it after them. */
export function useLocalCluster(tier: 1 | 2 = 1): () => TestCluster {
  let current: TestCluster | undefined;
  beforeAll(async () => {
    const { binaries, present } = await clusterBinaries();
    if (!present) return;
    const dir = await mkdtemp(path.join(tmpdir(), 'tandem-k8s-test-'));
    const cluster = await startCluster(dir, binaries, tier);
    const admin = new k8s.KubeConfig();
    admin.loadFromFile(cluster.kubeconfig);
    current = { cluster, admin, core: admin.makeApiClient(k8s.CoreV1Api), networking: admin.makeApiClient(k8s.NetworkingV1Api) };
  }, 120_000);
  afterAll(async () => {
    await current?.cluster.stop();
  }, 30_000);
  return () => {
    if (!current) throw new Error('the local cluster did not start');
    return current;
  };
}

/** The repository's RBAC (deploy/kubernetes/rbac.yaml): ServiceAccount, Role and RoleBinding. */
export function rbacObjects(): k8s.KubernetesObject[] {
  return k8s.loadAllYaml(readFileSync(path.join(DEPLOY_DIR, 'rbac.yaml'), 'utf8')) as k8s.KubernetesObject[];
}

/**
 * A namespace with the repository's Role bound to its `tandem` ServiceAccount, and a kubeconfig
 * that authenticates as that account with a token from the TokenRequest API: what a Tandem
 * server in the cluster gets, and no more.
 */
export async function roleBoundKubeconfig(test: TestCluster, namespace: string): Promise<string> {
  await prepareNamespace(test.cluster.kubeconfig, namespace);
  const objects = k8s.KubernetesObjectApi.makeApiClient(test.admin);
  for (const object of rbacObjects()) await objects.create({ ...object, metadata: { ...object.metadata, namespace } });
  return tokenKubeconfig(test, namespace, 'tandem');
}

/** A kubeconfig for a ServiceAccount's token (which needs no Role to exist). */
export async function tokenKubeconfig(test: TestCluster, namespace: string, account: string): Promise<string> {
  const request = await test.core.createNamespacedServiceAccountToken({ name: account, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = test.admin.getCurrentCluster()!;
  const file = path.join(test.cluster.dir, `${namespace}-${account}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
    users: [{ name: account, user: { token: request.status?.token } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: account, namespace } }],
    'current-context': 'local',
  };
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/**
 * Server flags for kernels as pods in `namespace`, with the memory and CPU policy the tests
 * check, and no warm pool unless asked: under kwok a pod runs no kernel, so a warm one would
 * never be ready, and would only add pods to the namespace.
 */
export function kubernetesArgs(kubeconfig: string, namespace: string, { warmPool = 0 } = {}): string[] {
  return [
    '--warm-pool',
    String(warmPool),
    '--runtime',
    'kubernetes',
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    namespace,
    '--kernel-image',
    'registry.invalid/tandem-kernel:test',
    '--kernel-memory',
    '1g',
    '--kernel-memory-max',
    '4g',
    '--kernel-cpus',
    '1',
    '--kernel-cpus-max',
    '2',
  ];
}

/** The one pod labelled for the notebook, once there is one. */
export async function podOf(test: TestCluster, namespace: string, fileId: string, timeoutMs = 20_000): Promise<k8s.V1Pod> {
  return eventually(async () => {
    const pods = await test.core.listNamespacedPod({ namespace, labelSelector: `tandem.notebook=${fileId}` });
    if (pods.items.length !== 1) throw new Error(`${pods.items.length} pods for notebook ${fileId}`);
    return pods.items[0];
  }, timeoutMs);
}

/** Names of the notebook's pods, Secrets and NetworkPolicies that exist now. */
export async function objectsOf(test: TestCluster, namespace: string, fileId: string): Promise<{ pods: string[]; secrets: string[]; policies: string[] }> {
  const labelSelector = `tandem.notebook=${fileId}`;
  const names = (list: { items: k8s.KubernetesObject[] }): string[] => list.items.map((item) => item.metadata?.name ?? '');
  return {
    pods: names(await test.core.listNamespacedPod({ namespace, labelSelector })),
    secrets: names(await test.core.listNamespacedSecret({ namespace, labelSelector })),
    policies: names(await test.networking.listNamespacedNetworkPolicy({ namespace, labelSelector })),
  };
}

/** Sets a pod's status from outside, as a kubelet would report it. */
export async function setPodStatus(test: TestCluster, namespace: string, name: string, change: (status: k8s.V1PodStatus) => k8s.V1PodStatus): Promise<void> {
  const pod = await test.core.readNamespacedPod({ name, namespace });
  await test.core.replaceNamespacedPodStatus({ name, namespace, body: { ...pod, status: change(pod.status ?? {}) } });
}

export interface TestRegistry {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Whether the registry holds REPOSITORY:TAG. */
  has(image: string): Promise<boolean>;
  stop(): Promise<void>;
}

/** A private image registry (distribution, built by k8s/build.sh) on a free port, its storage in `dir`. */
export async function startRegistry(dir: string): Promise<TestRegistry> {
  const { binaries } = await clusterBinaries();
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const config = path.join(dir, 'registry.yml');
  await writeFile(
    config,
    JSON.stringify({
      version: 0.1,
      log: { level: 'warn' },
      storage: { filesystem: { rootdirectory: path.join(dir, 'data') } },
      http: { addr: `127.0.0.1:${port}` },
    }),
  );
  const child = spawn(binaries.registry, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`the registry exited: ${log}`);
    expect((await fetch(`${url}/v2/`)).status).toBe(200);
  }, 30_000);
  return {
    url,
    async has(image) {
      const [repository, tag] = image.split(':');
      const response = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      });
      return response.ok;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Stops test servers. A server whose kernel's pod never starts (kwok runs no container) must
 * still stop promptly: the start gives up when the shutdown overtakes it. One that has not
 * stopped within 30 s is killed, so the suite goes on, and the stop fails.
 */
export async function stopServers(...servers: (TandemProcess | undefined)[]): Promise<void> {
  const hung: string[] = [];
  await Promise.all(
    servers.map(async (server) => {
      if (!server) return;
      const timer = setTimeout(() => {
        hung.push(server.base);
        void server.kill9();
      }, 30_000);
      await server.stop();
      clearTimeout(timer);
    }),
  );
  if (hung.length) throw new Error(`servers did not stop within 30 s and were killed: ${hung.join(', ')}`);
}
