// The three objects of one kernel, built as typed values (never from templated text): a Secret
// holding its connection file (HMAC key included), a NetworkPolicy that admits only Tandem's
// servers to its ports, and the Pod itself: non-root, a read-only root filesystem, no service
// account token, every capability dropped, and memory and CPU requests equal to its limits.
// Nothing from a notebook reaches them except through the typed, validated fields below.

import type { V1EnvVar, V1NetworkPolicy, V1Pod, V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { KERNEL_LABEL, ROLE_LABEL } from './labels';
import { type KernelResources, quantities } from './resources';

/** Fixed, since each pod has its own network namespace: the NetworkPolicy names them. */
export const KERNEL_PORTS = { shell: 50001, iopub: 50002, stdin: 50003, control: 50004, hb: 50005 } as const;
export const CONNECTION_DIR = '/run/tandem';
export const CONNECTION_KEY = 'connection.json';
const HOME = '/home/tandem';
export const WORKDIR = `${HOME}/work`;
/** The uid and gid of the kernel image's user (images/kernel/Dockerfile). */
const KERNEL_UID = 1000;

/** The notebook's folder, from a volume that the deployment provides (a PVC in production). */
export interface WorkspaceMount {
  volume: V1Volume;
  /** The notebook's folder inside that volume; '' for its root. */
  subPath: string;
}

export interface KernelObjectsInput {
  name: string;
  namespace: string;
  image: string;
  /** Labels for all three objects (notebook, environment, server); the role is added here. */
  labels: Record<string, string>;
  /** The connection file's contents, as the kernel reads it. */
  connectionFile: string;
  resources: KernelResources;
  env: Record<string, string>;
  workspace?: WorkspaceMount;
}

export interface KernelObjects {
  secret: V1Secret;
  networkPolicy: V1NetworkPolicy;
  pod: V1Pod;
}

// An environment variable's name as Kubernetes accepts it; others are left out.
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function kernelObjects(input: KernelObjectsInput): KernelObjects {
  const labels = { ...input.labels, [ROLE_LABEL]: 'kernel', [KERNEL_LABEL]: input.name };
  const metadata = { name: input.name, namespace: input.namespace, labels };
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: 'Opaque',
    immutable: true,
    stringData: { [CONNECTION_KEY]: input.connectionFile },
  };
  const networkPolicy: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: {
      podSelector: { matchLabels: { [KERNEL_LABEL]: input.name } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          _from: [{ podSelector: { matchLabels: { [ROLE_LABEL]: 'server' } } }],
          ports: Object.values(KERNEL_PORTS).map((port) => ({ protocol: 'TCP', port })),
        },
      ],
    },
  };
  const limits = quantities(input.resources);
  const volumes: V1Volume[] = [
    // Group-readable by the kernel's group (fsGroup), by nobody else.
    { name: 'connection', secret: { secretName: input.name, defaultMode: 0o440, items: [{ key: CONNECTION_KEY, path: CONNECTION_KEY }] } },
    // The root filesystem is read-only: IPython's history, caches and temporary files go here.
    { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
    { name: 'home', emptyDir: { sizeLimit: '256Mi' } },
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'connection', mountPath: CONNECTION_DIR, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'home', mountPath: HOME },
  ];
  if (input.workspace) {
    volumes.push({ ...input.workspace.volume, name: 'workspace' });
    mounts.push({ name: 'workspace', mountPath: WORKDIR, ...(input.workspace.subPath ? { subPath: input.workspace.subPath } : {}) });
  }
  const env: V1EnvVar[] = Object.entries(input.env)
    .filter(([name]) => ENV_NAME.test(name))
    .map(([name, value]) => ({ name, value }));
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 2,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: KERNEL_UID,
        runAsGroup: KERNEL_UID,
        fsGroup: KERNEL_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'kernel',
          image: input.image,
          imagePullPolicy: 'IfNotPresent',
          args: [`${CONNECTION_DIR}/${CONNECTION_KEY}`],
          workingDir: WORKDIR,
          env,
          ports: Object.entries(KERNEL_PORTS).map(([name, containerPort]) => ({ name, containerPort, protocol: 'TCP' })),
          resources: { requests: limits, limits },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
  return { secret, networkPolicy, pod };
}
