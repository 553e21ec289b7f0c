// One watch over this server's kernel pods in its namespace (never polling): every change to a
// pod is handed to whoever follows that pod by name. The watch is client-node's informer (a list,
// then a watch from its resource version); when it breaks, it is started again after a pause,
// and the new list reports what changed in between.

import { type CoreV1Api, type KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { type BridgeLogger, describeError } from '../logger';

export type PodListener = (pod: V1Pod, deleted: boolean) => void;

const RESTART_DELAY_MS = 1000;

export class PodWatcher {
  private readonly informer;
  private readonly listeners = new Map<string, Set<PodListener>>();
  private started: Promise<void> | undefined;
  private stopped = false;
  private watching = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(config: KubeConfig, core: CoreV1Api, namespace: string, labelSelector: string, logger: BridgeLogger) {
    this.informer = makeInformer<V1Pod>(
      config,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      () => core.listNamespacedPod({ namespace, labelSelector }),
      labelSelector,
    );
    const dispatch = (deleted: boolean) => (pod: V1Pod) => {
      const name = pod.metadata?.name;
      for (const listener of (name && this.listeners.get(name)) || []) listener(pod, deleted);
    };
    this.informer.on('add', dispatch(false));
    this.informer.on('update', dispatch(false));
    this.informer.on('delete', dispatch(true));
    this.informer.on('error', (error: unknown) => {
      // Before the first list is in, start() reports the failure to its caller instead.
      if (this.stopped || !this.watching) return;
      logger.warn({ error: describeError(error) }, 'the watch on kernel pods broke; starting it again');
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => {
        if (!this.stopped) this.informer.start().catch(() => {});
      }, RESTART_DELAY_MS);
    });
  }

  /** Starts the watch once; resolves when its first list is in and the watch is open, rejects if they fail. */
  start(): Promise<void> {
    this.started ??= this.firstStart().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  // The informer reports a failed list through its error event, not through start().
  private async firstStart(): Promise<void> {
    let failure: unknown;
    const onError = (error: unknown): void => {
      failure ??= error;
    };
    this.informer.on('error', onError);
    try {
      await this.informer.start();
    } finally {
      this.informer.off('error', onError);
    }
    if (failure !== undefined) throw failure;
    this.watching = true;
  }

  /** Calls `listener` with every change to the pod `name`, until the returned function is called. */
  follow(name: string, listener: PodListener): () => void {
    const set = this.listeners.get(name) ?? new Set<PodListener>();
    this.listeners.set(name, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(name);
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }
}
