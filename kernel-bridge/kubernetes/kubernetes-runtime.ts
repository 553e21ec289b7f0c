// Runs each kernel in a pod of its own (--runtime kubernetes): the Secret with its connection
// file, its NetworkPolicy, then the pod, all labelled with the notebook, the environment and the
// owning server. launch() resolves once the watch sees the pod running with an address, and
// rejects, with the reason in words, if the pod ends first or cannot start (an image that cannot
// be pulled, a node that never comes). No signal reaches a pod: interrupts go as messages.
// Warm kernels (the warm pool's) are pods started ahead of time with no notebook's folder and
// labelled unclaimed; a notebook that claims one relabels it as its own (warmClaim).

import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApiException, CoreV1Api, type KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1Volume } from '@kubernetes/client-node';
import { type BridgeLogger, describeError, silentLogger } from '../logger';
import type { ConnectionInfo } from '../protocol/connection-info';
import { KernelLaunchError, type KernelRuntime, type LaunchedKernel, type LaunchRequest, type WarmClaim } from '../runtimes/runtime';
import { CONNECTION_KEY, KERNEL_PORTS, kernelObjects, WORKDIR, type WorkspaceMount } from './kernel-objects';
import { ENVIRONMENT_LABEL, labelValue, NOTEBOOK_LABEL, SERVER_LABEL, UNCLAIMED_NOTEBOOK, WARM_LABEL } from './labels';
import { PodKernel } from './pod-kernel';
import { podState } from './pod-state';
import { PodWatcher } from './pod-watcher';
import { parseMemory, type ResourcePolicy, resolveResources } from './resources';

export interface KubernetesRuntimeOptions {
  config: KubeConfig;
  namespace: string;
  /** Labels everything with `tandem.server=<serverId>`, to find it again. */
  serverId: string;
  /** The image of kernels whose launch names none. */
  image: string;
  /** Makes a launch's own (locally built) image pullable by the cluster; its reference there. */
  publish?: (image: string, progress?: (message: string) => void) => Promise<string>;
  resources: ResourcePolicy;
  /** Notebook folders from a volume the deployment provides; without it, kernels get an empty folder. */
  workspace?: { volume: V1Volume; root: string };
  /** How long a pod may take to be running (scheduling and the image pull included). Default 5 min. */
  startTimeoutMs?: number;
  logger?: BridgeLogger;
}

// Host paths mean nothing inside the pod (the image has the helper package itself).
const HOST_ONLY_ENV = new Set(['PYTHONPATH', 'PATH', 'HOME', 'VIRTUAL_ENV']);

export class KubernetesRuntime implements KernelRuntime {
  /** A pod outlives its server: the next run of the server reattaches to it. */
  readonly reattaches = true;
  readonly core: CoreV1Api;
  readonly networking: NetworkingV1Api;
  private readonly watcher: PodWatcher;
  private readonly logger: BridgeLogger;
  private readonly selector: string;
  /** Kernels this runtime made or reattached to: the others of this server are unclaimed. */
  private readonly claimed = new Set<string>();
  private leftoverWarmSwept: Promise<void> | undefined;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.logger = options.logger ?? silentLogger;
    this.core = options.config.makeApiClient(CoreV1Api);
    this.networking = options.config.makeApiClient(NetworkingV1Api);
    this.selector = `${SERVER_LABEL}=${labelValue(options.serverId)}`;
    this.watcher = new PodWatcher(options.config, this.core, options.namespace, this.selector, this.logger);
  }

  async launch(request: LaunchRequest): Promise<PodKernel> {
    const resources = resolveResources(this.options.resources, request.resources);
    const { namespace } = this.options;
    try {
      await this.watcher.start();
    } catch (error) {
      throw new KernelLaunchError(apiProblem(error, `watch pods in namespace ${namespace}`));
    }
    // Warm kernels an earlier run of this server left were for its pool, not this one's.
    if (request.warm) {
      this.leftoverWarmSwept ??= this.removeLeftoverWarm();
      await this.leftoverWarmSwept;
    }
    if (request.notebookId && !request.warm) {
      await this.removeStrays(labelValue(request.notebookId));
      const running = await this.reattach(labelValue(request.notebookId), resources.memoryBytes, request.progress);
      if (running) return running;
    }
    const name = `tandem-kernel-${randomUUID()}`;
    const key = randomBytes(32).toString('hex');
    const inPod: ConnectionInfo = {
      transport: 'tcp',
      ip: '0.0.0.0',
      ...Object.fromEntries(Object.entries(KERNEL_PORTS).map(([socket, port]) => [`${socket}_port`, port])),
      signature_scheme: 'hmac-sha256',
      key,
      kernel_name: request.spec.name,
    } as ConnectionInfo;
    const labels: Record<string, string> = {
      [SERVER_LABEL]: labelValue(this.options.serverId),
      [NOTEBOOK_LABEL]: request.warm ? UNCLAIMED_NOTEBOOK : labelValue(request.notebookId ?? UNCLAIMED_NOTEBOOK),
      [ENVIRONMENT_LABEL]: labelValue(request.environmentId ?? 'kernelspec'),
    };
    if (request.warm) labels[WARM_LABEL] = 'true';
    let image = this.options.image;
    if (request.image) {
      try {
        image = this.options.publish ? await this.options.publish(request.image, request.progress) : request.image;
      } catch (error) {
        throw new KernelLaunchError(describeError(error));
      }
    }
    const env = Object.fromEntries(Object.entries({ ...request.spec.env, ...request.env }).filter(([variable]) => !HOST_ONLY_ENV.has(variable)));
    const objects = kernelObjects({
      name,
      namespace,
      image,
      labels,
      connectionFile: JSON.stringify(inPod),
      resources,
      env,
      workspace: request.warm ? undefined : this.workspaceFor(request.cwd),
    });

    // Followed before it exists: kwok, or a fast kubelet, can report it running within milliseconds.
    const kernel = new PodKernel({
      name,
      runtime: this,
      watcher: this.watcher,
      memoryLimitBytes: resources.memoryBytes,
      progress: request.progress,
      logger: this.logger,
    });
    // The Secret and the policy first: the pod must not start without its connection file, nor
    // be reachable before its policy exists.
    const steps: [string, () => Promise<unknown>][] = [
      ['Secret', () => this.core.createNamespacedSecret({ namespace, body: objects.secret })],
      ['NetworkPolicy', () => this.networking.createNamespacedNetworkPolicy({ namespace, body: objects.networkPolicy })],
      ['pod', () => this.core.createNamespacedPod({ namespace, body: objects.pod })],
    ];
    for (const [kind, create] of steps) {
      try {
        await create();
      } catch (error) {
        await kernel.kill();
        throw new KernelLaunchError(apiProblem(error, `create a kernel's ${kind} in namespace ${namespace}`));
      }
    }
    kernel.created();
    this.claimed.add(name);
    this.logger.debug({ pod: name, image: objects.pod.spec?.containers[0].image, notebook: request.notebookId }, 'kernel pod created');
    try {
      const ip = await kernel.running(this.options.startTimeoutMs ?? 300_000, request.signal);
      kernel.connectTo({ ...inPod, ip });
      return kernel;
    } catch (error) {
      await kernel.kill();
      throw new KernelLaunchError(`The kernel's pod did not start: ${describeError(error)}`);
    }
  }

  /**
   * A warm kernel can serve a notebook whose pod would differ from it only in its labels: one
   * that mounts no folder (a pod's volumes are fixed when it starts, and a warm pod has none of
   * a notebook's) and asks for the default resources. A notebook that already has a kernel pod
   * (this server's, to reattach to, or another's, to remove) goes through launch().
   */
  async warmClaim(request: LaunchRequest): Promise<WarmClaim | undefined> {
    if (this.options.workspace || !request.notebookId) return undefined;
    try {
      const wanted = resolveResources(this.options.resources, request.resources);
      const defaults = resolveResources(this.options.resources, undefined);
      if (wanted.memoryBytes !== defaults.memoryBytes || wanted.cpuMillis !== defaults.cpuMillis) return undefined;
      const notebook = labelValue(request.notebookId);
      const existing = await this.core.listNamespacedPod({ namespace: this.options.namespace, labelSelector: `${NOTEBOOK_LABEL}=${notebook}` });
      if (existing.items.length) return undefined;
      return { cwd: WORKDIR, poolCwd: WORKDIR, adopt: (kernel) => this.adoptWarm(kernel, notebook) };
    } catch {
      // launch() says what is wrong (resources over the maximum, an API refusal).
      return undefined;
    }
  }

  /** Labels a warm kernel's pod, Secret and NetworkPolicy as the notebook's, no longer warm. */
  private async adoptWarm(kernel: LaunchedKernel, notebook: string): Promise<void> {
    if (!(kernel instanceof PodKernel)) throw new Error(`${kernel.id} is not a kernel pod`);
    const { namespace } = this.options;
    const name = kernel.name;
    const body = { metadata: { labels: { [NOTEBOOK_LABEL]: notebook, [WARM_LABEL]: null } } };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    try {
      // The pod last: once it carries the notebook's label, the kernel is the notebook's.
      await this.core.patchNamespacedSecret({ name, namespace, body }, merge);
      await this.networking.patchNamespacedNetworkPolicy({ name, namespace, body }, merge);
      await this.core.patchNamespacedPod({ name, namespace, body }, merge);
    } catch (error) {
      throw new KernelLaunchError(apiProblem(error, "label a warm kernel's objects as a notebook's"));
    }
  }

  /** Deletes a kernel's pod, Secret and NetworkPolicy; any of them already gone is fine. */
  async deleteKernel(name: string): Promise<void> {
    const { namespace } = this.options;
    const results = await Promise.allSettled([
      this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 1 }),
      this.core.deleteNamespacedSecret({ name, namespace }),
      this.networking.deleteNamespacedNetworkPolicy({ name, namespace }),
    ]);
    for (const result of results) {
      if (result.status === 'rejected' && !(result.reason instanceof ApiException && result.reason.code === 404)) {
        this.logger.warn({ pod: name, error: apiProblem(result.reason, 'delete a kernel pod') }, 'could not delete a kernel object');
      }
    }
  }

  /** The last lines the kernel wrote, for the reason of its death; '' when they cannot be read. */
  async logTail(name: string): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ name, namespace: this.options.namespace, container: 'kernel', tailLines: 40 });
    } catch {
      return '';
    }
  }

  /**
   * Deletes the notebook's kernel objects that another server made: whoever starts a notebook's
   * kernel owns the notebook, so any other kernel of it belongs to a server that is gone (or
   * has lost the notebook) and would otherwise run on, unused, until someone noticed.
   */
  private async removeStrays(notebook: string): Promise<void> {
    const labelSelector = `${NOTEBOOK_LABEL}=${notebook},${SERVER_LABEL}!=${labelValue(this.options.serverId)}`;
    const { namespace } = this.options;
    let names: Set<string>;
    try {
      const lists = await Promise.all([
        this.core.listNamespacedPod({ namespace, labelSelector }),
        this.core.listNamespacedSecret({ namespace, labelSelector }),
        this.networking.listNamespacedNetworkPolicy({ namespace, labelSelector }),
      ]);
      names = new Set(lists.flatMap((list) => list.items.map((item) => item.metadata?.name ?? '')).filter(Boolean));
    } catch (error) {
      throw new KernelLaunchError(apiProblem(error, `list the notebook's kernels in namespace ${namespace}`));
    }
    if (names.size) this.logger.info({ notebook, kernels: [...names] }, "removing the notebook's kernels that another server left");
    await Promise.all([...names].map((name) => this.deleteKernel(name)));
  }

  /**
   * This server's running kernel of the notebook, from before a restart, if there is one: found
   * by its labels, its connection (and key) read back from its Secret, so that the kernel and
   * everything in it carry on. Any other kernel of the notebook that this server left (ended,
   * or on its way out) is deleted.
   */
  private async reattach(notebook: string, memoryLimitBytes: number, progress?: (message: string) => void): Promise<PodKernel | undefined> {
    const { namespace } = this.options;
    const labelSelector = `${NOTEBOOK_LABEL}=${notebook},${this.selector}`;
    const pods = (await this.core.listNamespacedPod({ namespace, labelSelector })).items;
    let adopted: PodKernel | undefined;
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const state = podState(pod, memoryLimitBytes);
      const connection = adopted || state.kind !== 'running' || pod.metadata?.deletionTimestamp ? undefined : await this.connectionOf(name);
      if (!connection || state.kind !== 'running') {
        await this.deleteKernel(name);
        continue;
      }
      const limit = parseMemory(pod.spec?.containers[0]?.resources?.limits?.memory ?? '') ?? memoryLimitBytes;
      adopted = new PodKernel({ name, runtime: this, watcher: this.watcher, memoryLimitBytes: limit, progress, logger: this.logger, reattached: true });
      adopted.created();
      adopted.connectTo({ ...connection, ip: state.ip });
      this.claimed.add(name);
      this.logger.info({ pod: name, notebook }, "reattaching to the notebook's running kernel");
    }
    return adopted;
  }

  /** A kernel's connection file, from its Secret; undefined if it is gone or unreadable. */
  private async connectionOf(name: string): Promise<ConnectionInfo | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace: this.options.namespace });
      const data = secret.data?.[CONNECTION_KEY];
      return data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as ConnectionInfo) : undefined;
    } catch {
      return undefined;
    }
  }

  private async removeLeftoverWarm(): Promise<void> {
    try {
      const labelSelector = `${this.selector},${WARM_LABEL}=true`;
      const pods = await this.core.listNamespacedPod({ namespace: this.options.namespace, labelSelector });
      const left = pods.items.map((pod) => pod.metadata?.name ?? '').filter((name) => name && !this.claimed.has(name));
      await Promise.all(left.map((name) => this.deleteKernel(name)));
    } catch (error) {
      this.logger.warn({ error: apiProblem(error, 'remove warm kernels an earlier run left') }, 'could not remove old warm kernels');
    }
  }

  /** Deletes every kernel object this server left (at start, after a crash) or leaves (at shutdown). */
  async removeOwn(): Promise<number> {
    const { namespace } = this.options;
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector: this.selector });
    const secrets = await this.core.listNamespacedSecret({ namespace, labelSelector: this.selector });
    const policies = await this.networking.listNamespacedNetworkPolicy({ namespace, labelSelector: this.selector });
    const names = new Set([...pods.items, ...secrets.items, ...policies.items].map((item) => item.metadata?.name ?? '').filter(Boolean));
    await Promise.all([...names].map((name) => this.deleteKernel(name)));
    return names.size;
  }

  /**
   * Deletes this server's kernels that nobody reattached to since it started (their notebooks
   * were not opened again); returns how many.
   */
  async removeUnclaimed(): Promise<number> {
    const pods = await this.core.listNamespacedPod({ namespace: this.options.namespace, labelSelector: this.selector });
    const unclaimed = pods.items.map((pod) => pod.metadata?.name ?? '').filter((name) => name && !this.claimed.has(name));
    await Promise.all(unclaimed.map((name) => this.deleteKernel(name)));
    return unclaimed.length;
  }

  async close(): Promise<void> {
    await this.watcher.stop();
  }

  private workspaceFor(cwd: string): WorkspaceMount | undefined {
    const workspace = this.options.workspace;
    if (!workspace) return undefined;
    const inside = path.relative(workspace.root, cwd);
    if (inside.startsWith('..') || path.isAbsolute(inside)) throw new KernelLaunchError(`The notebook's folder ${cwd} is outside the served root`);
    return { volume: workspace.volume, subPath: inside.split(path.sep).filter(Boolean).join('/') };
  }
}

/** An API error as people can act on it: what was refused, and the API server's own words. */
export function apiProblem(error: unknown, action: string): string {
  if (error instanceof ApiException) {
    const message = apiMessage(error.body) ?? error.message;
    if (error.code === 403) return `Tandem is not allowed to ${action} (forbidden by the cluster's RBAC): ${message}`;
    if (error.code === 401) return `The cluster did not accept Tandem's credentials when trying to ${action}: ${message}`;
    return `Could not ${action} (HTTP ${error.code}): ${message}`;
  }
  return `Could not ${action}: ${describeError(error)}`;
}

function apiMessage(body: unknown): string | undefined {
  try {
    const parsed = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
    const message = parsed && typeof parsed === 'object' ? (parsed as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return typeof body === 'string' && body ? body.slice(0, 500) : undefined;
  }
}
