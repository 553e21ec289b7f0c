// npm run k8s:down: stops the cluster that k8s:up started and removes its directory.

import { stopClusterIn } from './local-cluster';
import { CLUSTER_DIR } from './state';

await stopClusterIn(CLUSTER_DIR);
console.error(`k8s:down: stopped; ${CLUSTER_DIR} removed`);
