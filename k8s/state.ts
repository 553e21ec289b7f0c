// Where k8s:up keeps the cluster it leaves running, for k8s:down to find.

import os from 'node:os';
import path from 'node:path';

export const CLUSTER_DIR = path.join(os.tmpdir(), `tandem-k8s-${os.userInfo().uid}`);
