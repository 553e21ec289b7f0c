// A local Kubernetes control plane for development and tests, from binaries that k8s/build.sh
// builds: etcd, kube-apiserver and kube-scheduler, and kwok, which plays a node (tier 1: pods
// are scheduled and reach Running, but no container runs). Everything lives in one directory:
// certificates made here with openssl, etcd's data, logs, pid files and an admin kubeconfig.
// Every process is started in its own process group, so that stopping the cluster stops all
// that each one started; nothing outside the directory is touched.

import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUILD_SCRIPT = path.join(import.meta.dirname, 'build.sh');

/** The annotation and name of the fake node that kwok manages. */
const KWOK_NODE = 'kwok-node-0';
const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';
// The apiserver can hang on SIGTERM while watches are open: a short grace, then SIGKILL.
const STOP_GRACE_MS = 1500;
const READY_TIMEOUT_MS = 60_000;

export interface ClusterBinaries {
  kubeApiserver: string;
  kubeScheduler: string;
  etcd: string;
  kwok: string;
  /** kwok's stage files: how its fake node and pods move through their lifecycle. */
  kwokStages: string;
  /** The image registry (distribution) that kernel images are pushed to. */
  registry: string;
}

export interface LocalCluster {
  dir: string;
  /** An admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** https://127.0.0.1:PORT */
  server: string;
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
export async function startCluster(dir: string, binaries: ClusterBinaries): Promise<LocalCluster> {
  await rm(dir, { recursive: true, force: true });
  startFailure = undefined;
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

/** Stops every process a cluster in `dir` started, then removes the directory. */
export async function stopClusterIn(dir: string): Promise<void> {
  const pidsDir = path.join(dir, 'pids');
  const pids: number[] = [];
  for (const name of ['kwok', 'kube-scheduler', 'kube-apiserver', 'etcd']) {
    const pid = Number.parseInt(await readFile(path.join(pidsDir, name), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 1) pids.push(pid);
  }
  // All at once: the cluster is thrown away, so nothing needs an orderly goodbye.
  await Promise.all(pids.map((pid) => stopGroup(pid)));
  await rm(dir, { recursive: true, force: true });
}

async function stopGroup(pid: number): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!signalGroup(pid, 0)) return;
    await sleep(50);
  }
  signalGroup(pid, 'SIGKILL');
  while (signalGroup(pid, 0)) await sleep(20);
}

/** Signals the process group led by `pid`; false if there is none. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

// Set when a process of the cluster exits while it is being started: waiting for it is pointless.
let startFailure: Error | undefined;

async function startProcess(dir: string, name: string, command: string, args: string[]): Promise<void> {
  const logFile = path.join(dir, 'logs', `${name}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  child.unref();
  await writeFile(path.join(dir, 'pids', name), `${child.pid}\n`);
  child.once('exit', (code, signal) => {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    startFailure ??= new Error(`${name} exited (${code ?? signal}):\n${tail}`);
  });
}

interface Pki {
  caCert: string;
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
    apiserverCert: file('apiserver.crt'),
    apiserverKey: file('apiserver.key'),
    adminCert: file('admin.crt'),
    adminKey: file('admin.key'),
    serviceAccountKey: file('service-account.key'),
    serviceAccountPublic: file('service-account.pub'),
  };
}

interface Tls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
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

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (startFailure) throw startFailure;
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url).catch(() => undefined);
  return response?.ok ?? false;
}

async function httpsOk(url: string, tls: Tls): Promise<boolean> {
  return (await httpsJson('GET', url, tls)).status === 200;
}

function httpsJson(method: string, url: string, tls: Tls, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ...tls, headers: { 'content-type': 'application/json' }, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
