// npm run k8s:up -- --tier 1: builds the local cluster's binaries (cached), starts the cluster in
// the background and prints the path of its admin kubeconfig as the last line. `k8s:down` stops
// it. Tier 1 is the control plane with a kwok node (pods are scheduled, no container runs);
// tier 2 has a real node instead (kubelet, containerd, a registry), whose pods run.

import { parseArgs } from 'node:util';
import { buildClusterBinaries, startCluster, stopClusterIn } from './local-cluster';
import { prepareNamespace } from './namespace';
import { CLUSTER_DIR } from './state';

const { values } = parseArgs({ options: { tier: { type: 'string', default: '1' }, namespace: { type: 'string', default: 'tandem' } } });
if (values.tier !== '1' && values.tier !== '2') {
  console.error('k8s:up: --tier must be 1 or 2');
  process.exit(2);
}

const started = Date.now();
const binaries = await buildClusterBinaries();
const built = Date.now();
// One cluster at a time: a new one replaces whatever an earlier k8s:up left running.
await stopClusterIn(CLUSTER_DIR);
const cluster = await startCluster(CLUSTER_DIR, binaries, values.tier === '2' ? 2 : 1);
await prepareNamespace(cluster.kubeconfig, values.namespace);
console.error(`k8s:up: binaries ready in ${((built - started) / 1000).toFixed(1)} s, cluster up in ${((Date.now() - built) / 1000).toFixed(1)} s`);
console.error(`k8s:up: API server ${cluster.server}, namespace ${values.namespace}; logs in ${cluster.dir}/logs`);
if (cluster.registry) console.error(`k8s:up: the node pulls images from ${cluster.registry} (for --kernel-registry)`);
console.log(cluster.kubeconfig);
