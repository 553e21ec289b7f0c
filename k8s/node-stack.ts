// Tier 2 of the local cluster: a real node. An image registry (distribution) on 127.0.0.1 that
// containerd pulls from over plain HTTP, the pods' pause image (built here, pushed there),
// Debian's containerd with runc, the bridge CNI plugin, and a kubelet named `localhost`. Pods
// really run: kernels answer. All their files live in the cluster's directory; what they add
// to the machine outside it (a bridge, network namespaces, mounts, iptables chains) is
// recorded at start and removed at stop, so that a run leaves the machine as it found it.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePorts, httpOk, httpsJson, sleep, startProcess, type Tls, waitFor } from './processes';

const run = promisify(execFile);
const NODE = 'localhost';
const NETNS_DIR = '/run/netns';
const KUBELET_CHAINS = ['KUBE-FIREWALL', 'KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT'];
const TABLES = ['filter', 'nat', 'mangle'];
const POD_DELETE_WAIT_MS = 60_000;

export interface NodeStackInput {
  dir: string;
  server: string;
  tls: Tls;
  caCert: string;
  caKey: string;
  kubelet: string;
  registry: string;
  pause: string;
}

/** What stop needs to undo, recorded at start. */
interface HostChanges {
  bridge: string;
  /** Whether this cluster made /run/netns a mount point of its own. */
  netnsMount: boolean;
  netnsBefore: string[];
  chainsBefore: string[];
}

/** Starts the node's stack; resolves with the registry's URL once the node is Ready and takes pods. */
export async function startNodeStack(input: NodeStackInput): Promise<string> {
  for (const command of ['containerd', 'runc', 'podman', 'iptables']) {
    if (!(await run('sh', ['-c', `command -v ${command}`]).catch(() => undefined))) {
      throw new Error(`tier 2 needs ${command} (Debian: apt-get install containerd runc podman iptables)`);
    }
  }
  const { dir } = input;
  // containerd mounts each pod's network namespace in /run/netns. When that folder is not a
  // mount point of its own, podman (or `ip netns`) makes it one the first time they need it,
  // over those mounts, which can then never be unmounted: it is made one first, as they would.
  const netnsMount = !mountsUnder(NETNS_DIR).includes(NETNS_DIR);
  if (netnsMount) {
    await mkdir(NETNS_DIR, { recursive: true });
    await run('mount', ['--bind', NETNS_DIR, NETNS_DIR]);
    await run('mount', ['--make-shared', NETNS_DIR]);
  }
  const host: HostChanges = {
    netnsMount,
    // One bridge and one pod subnet per cluster, so that two clusters never share them.
    bridge: `tk8s${randomBytes(3).toString('hex')}`,
    netnsBefore: existsSync(NETNS_DIR) ? await readdir(NETNS_DIR) : [],
    chainsBefore: await kubeletChains(),
  };
  await writeFile(path.join(dir, 'host-changes.json'), JSON.stringify(host));
  const [registryPort, kubeletPort] = await freePorts(2);
  const registry = `127.0.0.1:${registryPort}`;

  await mkdir(path.join(dir, 'registry'), { recursive: true });
  const registryConfig = path.join(dir, 'registry', 'config.yml');
  await writeFile(
    registryConfig,
    JSON.stringify({
      version: 0.1,
      log: { level: 'warn' },
      storage: { filesystem: { rootdirectory: path.join(dir, 'registry', 'data') } },
      http: { addr: registry },
    }),
  );
  await startProcess(dir, 'registry', input.registry, ['serve', registryConfig]);
  await waitFor('the registry', () => httpOk(`http://${registry}/v2/`));
  const pauseImage = await pushPauseImage(dir, input.pause, registry);

  const cni = path.join(dir, 'cni');
  await mkdir(path.join(cni, 'net.d'), { recursive: true });
  await writeFile(
    path.join(cni, 'net.d', '10-tandem.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'tandem-k8s',
      plugins: [
        {
          type: 'bridge',
          bridge: host.bridge,
          isGateway: true,
          // No masquerading: it would add iptables rules, and pods need no way out here.
          ipMasq: false,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: `10.${200 + (randomBytes(1)[0] % 50)}.${randomBytes(1)[0]}.0/24` }]],
            dataDir: path.join(cni, 'ipam'),
          },
        },
      ],
    }),
  );
  const containerd = path.join(dir, 'containerd');
  await mkdir(containerd, { recursive: true });
  const socket = path.join(containerd, 'containerd.sock');
  await writeFile(
    path.join(containerd, 'config.toml'),
    `version = 2
root = ${JSON.stringify(path.join(containerd, 'root'))}
state = ${JSON.stringify(path.join(containerd, 'state'))}
[grpc]
  address = ${JSON.stringify(socket)}
[ttrpc]
  address = ${JSON.stringify(`${socket}.ttrpc`)}
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(pauseImage)}
  # Without it, every sandbox fails here with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${JSON.stringify(path.join(cni, 'net.d'))}
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors.${JSON.stringify(registry)}]
    endpoint = [${JSON.stringify(`http://${registry}`)}]
`,
  );
  await startProcess(dir, 'containerd', 'containerd', ['--config', path.join(containerd, 'config.toml')]);
  await waitFor('containerd', async () => existsSync(socket));

  const kubelet = path.join(dir, 'kubelet');
  await mkdir(path.join(kubelet, 'pki'), { recursive: true });
  const nodeConfig = await nodeKubeconfig(input, kubelet);
  await writeFile(
    path.join(kubelet, 'config.yaml'),
    JSON.stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // This machine's cgroups are v1, and it runs other things beside the node.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupsPerQOS: false,
      enforceNodeAllocatable: [],
      failSwapOn: false,
      // No KUBE-FIREWALL and canary chains in the machine's iptables.
      makeIPTablesUtilChains: false,
      address: '127.0.0.1',
      port: kubeletPort,
      readOnlyPort: 0,
      healthzPort: 0,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: input.caCert } },
      authorization: { mode: 'AlwaysAllow' },
      containerRuntimeEndpoint: `unix://${socket}`,
      podLogsDir: path.join(kubelet, 'pod-logs'),
      serializeImagePulls: false,
      maxPods: 30,
      resolvConf: '/etc/resolv.conf',
      // A shared machine's disk and memory are not the node's to defend: evict only in extremis.
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '2%', 'imagefs.available': '2%' },
    }),
  );
  await startProcess(dir, 'kubelet', input.kubelet, [
    `--config=${path.join(kubelet, 'config.yaml')}`,
    `--kubeconfig=${nodeConfig}`,
    `--root-dir=${path.join(kubelet, 'root')}`,
    `--cert-dir=${path.join(kubelet, 'pki')}`,
    `--hostname-override=${NODE}`,
  ]);
  await waitFor('the kubelet node', async () => {
    const response = await httpsJson('GET', `${input.server}/api/v1/nodes/${NODE}`, input.tls);
    if (response.status !== 200) return false;
    const node = JSON.parse(response.body) as { spec?: { taints?: { key: string }[] }; status?: { conditions?: { type: string; status: string }[] } };
    if (!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return false;
    // The not-ready taint stays without a controller manager to lift it.
    node.spec = { ...node.spec, taints: (node.spec?.taints ?? []).filter((taint) => !taint.key.startsWith('node.kubernetes.io/')) };
    return (await httpsJson('PUT', `${input.server}/api/v1/nodes/${NODE}`, input.tls, node)).status === 200;
  });
  return `http://${registry}`;
}

/**
 * Deletes every pod through the API (the kubelet then stops their containers and tears down
 * their networks and volumes), and waits for them to go. Called while the control plane runs.
 */
export async function deleteAllPods(server: string, tls: Tls): Promise<void> {
  const list = await httpsJson('GET', `${server}/api/v1/pods`, tls).catch(() => undefined);
  if (list?.status !== 200) return;
  const pods = (JSON.parse(list.body) as { items: { metadata: { name: string; namespace: string } }[] }).items;
  for (const { metadata } of pods) {
    await httpsJson('DELETE', `${server}/api/v1/namespaces/${metadata.namespace}/pods/${metadata.name}?gracePeriodSeconds=1`, tls).catch(() => undefined);
  }
  const deadline = Date.now() + POD_DELETE_WAIT_MS;
  while (Date.now() < deadline) {
    const now = await httpsJson('GET', `${server}/api/v1/pods`, tls).catch(() => undefined);
    if (now?.status !== 200 || (JSON.parse(now.body) as { items: unknown[] }).items.length === 0) return;
    await sleep(200);
  }
}

/** After the node's processes are stopped: what they left outside their directory goes. */
export async function undoHostChanges(dir: string): Promise<void> {
  const file = path.join(dir, 'host-changes.json');
  if (!existsSync(file)) return;
  const host = JSON.parse(await readFile(file, 'utf8')) as HostChanges;
  // Containers the kubelet did not get to stop: their shims name this cluster's socket.
  await killMatching(path.join(dir, 'containerd', 'containerd.sock'));
  for (const mount of mountsUnder(dir)) await run('umount', ['-l', mount]).catch(() => {});
  const netns = existsSync(NETNS_DIR) ? await readdir(NETNS_DIR) : [];
  // Not `ip netns delete`, which may itself mount /run/netns over what it should remove.
  const mounted = mountsUnder(NETNS_DIR);
  for (const name of netns.filter((n) => n.startsWith('cni-') && !host.netnsBefore.includes(n))) {
    const file = path.join(NETNS_DIR, name);
    if (mounted.includes(file)) await run('umount', ['-l', file]).catch(() => {});
    await rm(file, { force: true }).catch(() => {});
  }
  if (host.netnsMount && existsSync(NETNS_DIR) && (await readdir(NETNS_DIR)).length === 0) await run('umount', [NETNS_DIR]).catch(() => {});
  await run('ip', ['link', 'delete', host.bridge]).catch(() => {});
  const chains = await kubeletChains();
  for (const chain of chains.filter((c) => !host.chainsBefore.includes(c))) {
    const [family, table, name] = chain.split(' ');
    const tool = family === '6' ? 'ip6tables' : 'iptables';
    for (const parent of ['INPUT', 'OUTPUT', 'FORWARD']) await run(tool, ['-t', table, '-D', parent, '-j', name]).catch(() => {});
    await run(tool, ['-t', table, '-F', name]).catch(() => {});
    await run(tool, ['-t', table, '-X', name]).catch(() => {});
  }
}

/** The kubelet's chains present now, as "4|6 TABLE CHAIN". */
async function kubeletChains(): Promise<string[]> {
  const found: string[] = [];
  for (const [family, tool] of [
    ['4', 'iptables'],
    ['6', 'ip6tables'],
  ]) {
    for (const table of TABLES) {
      const { stdout } = await run(tool, ['-t', table, '-S']).catch(() => ({ stdout: '' }));
      for (const chain of KUBELET_CHAINS) if (stdout.includes(`-N ${chain}\n`)) found.push(`${family} ${table} ${chain}`);
    }
  }
  return found;
}

/** Mount points inside `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)));
  return [...new Set(mounts)].sort((a, b) => b.length - a.length);
}

/** SIGKILLs every process whose command line holds `needle`, and all their descendants. */
async function killMatching(needle: string): Promise<void> {
  const all = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const parents = new Map<number, number>();
  const matching: number[] = [];
  for (const pid of all) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) matching.push(pid);
    } catch {}
  }
  const doomed = new Set(matching);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!doomed.has(pid) && doomed.has(parent)) {
        doomed.add(pid);
        grew = true;
      }
    }
  }
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/** Builds the pause image from the pause binary with podman, pushes it, and drops the local copy. */
async function pushPauseImage(dir: string, pause: string, registry: string): Promise<string> {
  const context = path.join(dir, 'pause-image');
  await mkdir(context, { recursive: true });
  await copyFile(pause, path.join(context, 'pause'));
  await writeFile(path.join(context, 'Containerfile'), 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n');
  const image = `${registry}/tandem/pause:1`;
  await run('podman', ['build', '--quiet', '--tag', image, '--file', path.join(context, 'Containerfile'), context]);
  await run('podman', ['push', '--quiet', '--tls-verify=false', image]);
  await run('podman', ['rmi', image]).catch(() => {});
  return image;
}

/** A kubeconfig for the kubelet as system:node:localhost, with a client certificate from the cluster's CA. */
async function nodeKubeconfig(input: NodeStackInput, kubelet: string): Promise<string> {
  const file = (name: string): string => path.join(kubelet, 'pki', name);
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    file('node.key'),
    '-out',
    file('node.csr'),
    '-subj',
    `/O=system:nodes/CN=system:node:${NODE}`,
  ]);
  await writeFile(file('node.ext'), 'extendedKeyUsage=clientAuth\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('node.csr'),
    '-CA',
    input.caCert,
    '-CAkey',
    input.caKey,
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    file('node.ext'),
    '-out',
    file('node.crt'),
  ]);
  const b64 = async (name: string): Promise<string> => (await readFile(name)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: input.server, 'certificate-authority-data': await b64(input.caCert) } }],
    users: [{ name: 'node', user: { 'client-certificate-data': await b64(file('node.crt')), 'client-key-data': await b64(file('node.key')) } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: 'node' } }],
    'current-context': 'local',
  };
  const target = path.join(kubelet, 'node.kubeconfig');
  await writeFile(target, JSON.stringify(config), { mode: 0o600 });
  return target;
}
