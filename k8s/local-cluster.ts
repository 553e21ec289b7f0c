// A local Kubernetes control plane for development and tests, from binaries that k8s/build.sh
// builds: etcd, kube-apiserver and kube-scheduler, and a node: kwok, which plays one (tier 1:
// pods are scheduled and reach Running, but no container runs), or a real kubelet with
// containerd and a registry (tier 2, k8s/node-stack.ts). Everything lives in one directory:
// certificates made here with openssl, etcd's data, logs, pid files and an admin kubeconfig.
// Every process is started in its own process group, so that stopping the cluster stops all
// that each one started; nothing outside the directory is touched.

import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { deleteAllPods, startNodeStack, undoHostChanges } from './node-stack';
import { freePorts, httpOk, httpsJson, httpsOk, resetStartFailure, startProcess, stopGroup, type Tls, waitFor } from './processes';

const run = promisify(execFile);
const BUILD_SCRIPT = path.join(import.meta.dirname, 'build.sh');

/** The annotation and name of the fake node that kwok manages. */
const KWOK_NODE = 'kwok-node-0';
const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';

export interface ClusterBinaries {
  kubeApiserver: string;
  kubeScheduler: string;
  etcd: string;
  kwok: string;
  /** kwok's stage files: how its fake node and pods move through their lifecycle. */
  kwokStages: string;
  /** The image registry (distribution) that kernel images are pushed to. */
  registry: string;
  /** Tier 2: the node's kubelet and the pods' pause process. */
  kubelet: string;
  pause: string;
}

export interface LocalCluster {
  dir: string;
  /** An admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Tier 2: the registry (http://127.0.0.1:PORT) that the node pulls images from. */
  registry?: string;
  stop(): Promise<void>;
}

/** Where build.sh puts the binaries; `present` says whether all of them are there. */
export async function clusterBinaries(): Promise<{ binaries: ClusterBinaries; present: boolean }> {
  const { stdout } = await run(BUILD_SCRIPT, ['--paths']);
  const dirs = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  const binaries: ClusterBinaries = {
    kubeApiserver: path.join(dirs.K8S_BIN, 'kube-apiserver'),
    kubeScheduler: path.join(dirs.K8S_BIN, 'kube-scheduler'),
    etcd: path.join(dirs.ETCD_BIN, 'etcd'),
    kwok: path.join(dirs.KWOK_BIN, 'kwok'),
    kwokStages: dirs.KWOK_STAGES,
    registry: path.join(dirs.REGISTRY_BIN, 'registry'),
    kubelet: path.join(dirs.K8S_BIN, 'kubelet'),
    pause: path.join(dirs.PAUSE_BIN, 'pause'),
  };
  return { binaries, present: Object.values(binaries).every((file) => existsSync(file)) };
}

/** Builds whatever is missing (cached per version); progress goes to stderr. */
export async function buildClusterBinaries(): Promise<ClusterBinaries> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(BUILD_SCRIPT, [], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`k8s/build.sh failed (exit code ${code})`))));
  });
  return (await clusterBinaries()).binaries;
}

/**
 * Starts the control plane and a kwok node in `dir` (made empty first). The processes outlive
 * this one (`k8s:up`) until stop() or stopClusterIn(dir) ends them.
 */
export async function startCluster(dir: string, binaries: ClusterBinaries, tier: 1 | 2 = 1): Promise<LocalCluster> {
  await rm(dir, { recursive: true, force: true });
  resetStartFailure();
  for (const sub of ['pki', 'etcd', 'logs', 'pids']) await mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 });
  const pki = await makeCertificates(path.join(dir, 'pki'));
  const [etcdClient, etcdPeer, apiPort, schedulerPort, kwokPort] = await freePorts(5);
  const server = `https://127.0.0.1:${apiPort}`;
  const cluster: LocalCluster = { dir, kubeconfig: path.join(dir, 'admin.kubeconfig'), server, stop: () => stopClusterIn(dir) };
  try {
    await startProcess(dir, 'etcd', binaries.etcd, [
      '--name=local',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
      // A throwaway cluster: durability is not worth the disk syncs on a shared machine.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitFor('etcd', () => httpOk(`http://127.0.0.1:${etcdClient}/health`));

    await startProcess(dir, 'kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The `kubernetes` Service's endpoints would point at this loopback address, which the
      // reconciler refuses; no pod here needs that Service.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(dir, 'pki')}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-key-file=${pki.serviceAccountPublic}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      '--kubelet-preferred-address-types=Hostname,InternalIP',
      // For logs and exec through a kubelet (tier 2): the apiserver calls it as the admin.
      `--kubelet-client-certificate=${pki.adminCert}`,
      `--kubelet-client-key=${pki.adminKey}`,
      '--profiling=false',
    ]);
    const adminTls = { ca: await readFile(pki.caCert), cert: await readFile(pki.adminCert), key: await readFile(pki.adminKey) };
    await waitFor('kube-apiserver', () => httpsOk(`${server}/readyz`, adminTls));
    await writeFile(cluster.kubeconfig, kubeconfig(server, adminTls), { mode: 0o600 });

    await startProcess(dir, 'kube-scheduler', binaries.kubeScheduler, [
      `--kubeconfig=${cluster.kubeconfig}`,
      `--authentication-kubeconfig=${cluster.kubeconfig}`,
      `--authorization-kubeconfig=${cluster.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
      '--leader-elect=false',
    ]);
    await writeFile(path.join(dir, 'server'), server);
    if (tier === 2) {
      cluster.registry = await startNodeStack({
        dir,
        server,
        tls: adminTls,
        caCert: pki.caCert,
        caKey: pki.caKey,
        kubelet: binaries.kubelet,
        registry: binaries.registry,
        pause: binaries.pause,
      });
      return cluster;
    }
    await createFakeNode(server, adminTls);
    await startProcess(dir, 'kwok', binaries.kwok, [
      `--kubeconfig=${cluster.kubeconfig}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=fake`,
      `--server-address=127.0.0.1:${kwokPort}`,
      ...(await stageFiles(binaries.kwokStages)).map((file) => `--config=${file}`),
    ]);
    await waitFor('the kwok node', () => nodeReady(server, adminTls));
    await waitFor('the kwok node to take pods', () => untaintNode(server, adminTls));
  } catch (error) {
    await stopClusterIn(dir);
    throw error;
  }
  return cluster;
}

/**
 * Stops every process a cluster in `dir` started, then removes the directory. A real node's pods
 * are deleted first (while the control plane still runs), so that its kubelet tears down their
 * containers, networks and mounts; whatever it could not is removed after.
 */
export async function stopClusterIn(dir: string): Promise<void> {
  const pidsDir = path.join(dir, 'pids');
  const pidOf = async (name: string): Promise<number | undefined> => {
    const pid = Number.parseInt(await readFile(path.join(pidsDir, name), 'utf8').catch(() => ''), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  };
  const server = await readFile(path.join(dir, 'server'), 'utf8').catch(() => undefined);
  if (server && (await pidOf('kubelet'))) {
    const pki = path.join(dir, 'pki');
    const tls = {
      ca: await readFile(path.join(pki, 'ca.crt')),
      cert: await readFile(path.join(pki, 'admin.crt')),
      key: await readFile(path.join(pki, 'admin.key')),
    };
    await deleteAllPods(server, tls);
  }
  for (const name of ['kubelet', 'containerd']) {
    const pid = await pidOf(name);
    if (pid) await stopGroup(pid);
  }
  const pids: number[] = [];
  for (const name of ['registry', 'kwok', 'kube-scheduler', 'kube-apiserver', 'etcd']) {
    const pid = await pidOf(name);
    if (pid) pids.push(pid);
  }
  // All at once: the cluster is thrown away, so nothing needs an orderly goodbye.
  await Promise.all(pids.map((pid) => stopGroup(pid)));
  await undoHostChanges(dir);
  await rm(dir, { recursive: true, force: true });
}

interface Pki {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPublic: string;
}

// P-256 keys: as good as RSA here and made in milliseconds.
async function makeCertificates(dir: string): Promise<Pki> {
  const file = (name: string): string => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '30', '-subj', '/CN=tandem-local-ca']);
  const signed = async (name: string, subject: string, extensions: string): Promise<void> => {
    await run('openssl', ['req', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject]);
    await writeFile(file(`${name}.ext`), extensions);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.crt`),
    ]);
  };
  await signed(
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n',
  );
  await signed('admin', '/O=system:masters/CN=tandem-admin', 'extendedKeyUsage=clientAuth\n');
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', file('service-account.key')]);
  await run('openssl', ['pkey', '-in', file('service-account.key'), '-pubout', '-out', file('service-account.pub')]);
  return {
    caCert: file('ca.crt'),
    caKey: file('ca.key'),
    apiserverCert: file('apiserver.crt'),
    apiserverKey: file('apiserver.key'),
    adminCert: file('admin.crt'),
    adminKey: file('admin.key'),
    serviceAccountKey: file('service-account.key'),
    serviceAccountPublic: file('service-account.pub'),
  };
}

// JSON is YAML: every kubeconfig reader takes it.
function kubeconfig(server: string, tls: Tls): string {
  const b64 = (data: Buffer): string => data.toString('base64');
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'tandem-local', cluster: { server, 'certificate-authority-data': b64(tls.ca) } }],
      users: [{ name: 'tandem-admin', user: { 'client-certificate-data': b64(tls.cert), 'client-key-data': b64(tls.key) } }],
      contexts: [{ name: 'tandem-local', context: { cluster: 'tandem-local', user: 'tandem-admin' } }],
      'current-context': 'tandem-local',
    },
    null,
    2,
  )}\n`;
}

async function createFakeNode(server: string, tls: Tls): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: KWOK_NODE,
      annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': KWOK_NODE, 'kubernetes.io/os': 'linux', type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
  const response = await httpsJson('POST', `${server}/api/v1/nodes`, tls, node);
  if (response.status !== 201) throw new Error(`could not create the kwok node: ${response.status} ${response.body}`);
}

async function nodeReady(server: string, tls: Tls): Promise<boolean> {
  const response = await httpsJson('GET', `${server}/api/v1/nodes/${KWOK_NODE}`, tls);
  if (response.status !== 200) return false;
  const node = JSON.parse(response.body) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Admission gives every new node the not-ready taint, and the node lifecycle controller (of the
 * controller manager, which this cluster does without) lifts it once the node is Ready: here,
 * that is done once, by hand. False (to be tried again) on a conflict with kwok's updates.
 */
async function untaintNode(server: string, tls: Tls): Promise<boolean> {
  const url = `${server}/api/v1/nodes/${KWOK_NODE}`;
  const node = JSON.parse((await httpsJson('GET', url, tls)).body) as { spec?: { taints?: { key: string }[] } };
  node.spec = { ...node.spec, taints: (node.spec?.taints ?? []).filter((taint) => !taint.key.startsWith('node.kubernetes.io/')) };
  return (await httpsJson('PUT', url, tls, node)).status === 200;
}

/** kwok's fast stages: nodes become Ready and pods Running at once; deletion is immediate. */
async function stageFiles(stages: string): Promise<string[]> {
  const files = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ].map((file) => path.join(stages, file));
  for (const file of files) if (!existsSync(file)) throw new Error(`kwok's stage file ${file} is missing; run k8s/build.sh again`);
  return files;
}
