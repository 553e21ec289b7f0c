// Nothing from a notebook's path reaches a pod except through typed, validated fields (issue 19):
// notebooks at unicode, very long, dotted and shell-like paths all get pods whose names and
// labels are valid, labelled with the notebook's id, with no trace of the path in the spec.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { connectNotebook } from '../helpers/clients';
import { execute } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, podOf, roleBoundKubeconfig, stopServers, useLocalCluster } from './support';

const NAMESPACE = 'kernels';
const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes hostile path tests: ${reason}`);

const HOSTILE = [
  'ünïcødé 数据 📊.ipynb',
  `${'very-long-folder-name-'.repeat(6)}/${'n'.repeat(150)}.ipynb`,
  'v1.2.3.../x..y...ipynb',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a path that looks like a template, on purpose
  'quotes "$(id)" `uname` {{ .Values }} ${HOME}.ipynb',
  '-leading dash; rm -rf.ipynb',
];

describe.skipIf(!available)('hostile notebook paths', () => {
  const cluster = useLocalCluster();
  let server: TandemProcess;
  beforeAll(async () => {
    const kubeconfig = await roleBoundKubeconfig(cluster(), NAMESPACE);
    const root = tempRoot();
    for (const notebook of HOSTILE) mkdirSync(path.join(root, path.dirname(notebook)), { recursive: true });
    server = await startTandem({ root, args: kubernetesArgs(kubeconfig, NAMESPACE) });
  });
  afterAll(async () => {
    await stopServers(server);
  });

  test.each(HOSTILE)('%s gets a valid pod labelled with its id, and its path reaches no spec', async (notebook) => {
    await putNotebook(server, encodeURI(notebook), [{ id: 'c', source: 'print(1)' }]);
    const client = await connectNotebook(server, notebook);
    await execute(server, client.fileId, ['c']);
    const pod = await podOf(cluster(), NAMESPACE, client.fileId);
    expect(pod.metadata?.name).toMatch(/^tandem-kernel-[0-9a-f-]{36}$/);
    for (const value of Object.values(pod.metadata?.labels ?? {})) expect(value).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/);
    const spec = JSON.stringify(pod.spec);
    const parts = notebook.split('/').map((part) => part.replace(/\.ipynb$/, ''));
    for (const part of parts.filter((text) => text.length >= 4)) expect(spec).not.toContain(part);
    client.destroy();
  });
});
