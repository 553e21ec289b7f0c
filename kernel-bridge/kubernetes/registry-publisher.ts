// Kernel images reach the cluster through a registry: an image built here (podman's
// `localhost/NAME:TAG`) is pushed once as `REGISTRY/NAME:TAG`, which pods then pull. Tags are
// content hashes, so a tag the registry already has is never pushed again, by this server or
// any other.

import type { Podman } from '../containers/podman';
import { type BridgeLogger, describeError, silentLogger } from '../logger';

export interface RegistryPublisherOptions {
  podman: Podman;
  /** http://127.0.0.1:5000 or https://registry.example.com/team: where images go, and how. */
  registry: string;
  logger?: BridgeLogger;
  /** Default 10 minutes. */
  pushTimeoutMs?: number;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export class RegistryPublisher {
  private readonly url: URL;
  /** host[:port][/path]: how image references name the registry. */
  private readonly prefix: string;
  private readonly pushes = new Map<string, Promise<string>>();
  private readonly logger: BridgeLogger;

  constructor(private readonly options: RegistryPublisherOptions) {
    this.url = new URL(options.registry);
    this.prefix = `${this.url.host}${this.url.pathname.replace(/\/+$/, '')}`;
    this.logger = options.logger ?? silentLogger;
  }

  /** The registry's reference for a local image, pushed first if the registry lacks it. */
  publish(local: string, progress?: (message: string) => void): Promise<string> {
    let push = this.pushes.get(local);
    if (!push) {
      push = this.push(local, progress);
      this.pushes.set(local, push);
      // A failed push may succeed later: it is not remembered.
      push.catch(() => this.pushes.delete(local));
    }
    return push;
  }

  private async push(local: string, progress?: (message: string) => void): Promise<string> {
    const name = local.replace(/^localhost\//, '');
    const remote = `${this.prefix}/${name}`;
    if (await this.has(name)) return remote;
    progress?.(`pushing the image to ${this.prefix}`);
    const started = Date.now();
    try {
      await this.options.podman.run(['push', `--tls-verify=${this.url.protocol === 'https:'}`, local, `docker://${remote}`], {
        timeoutMs: this.options.pushTimeoutMs ?? 10 * 60_000,
      });
    } catch (error) {
      throw new Error(`Could not push the image ${local} to ${this.prefix}: ${describeError(error)}`);
    }
    this.logger.info({ image: remote, ms: Date.now() - started }, 'pushed a kernel image');
    return remote;
  }

  /** Whether the registry has the tag (the Registry HTTP API: a manifest by tag). */
  private async has(name: string): Promise<boolean> {
    const [repository, tag] = name.split(':');
    const path = `${this.url.pathname.replace(/\/+$/, '')}/${repository}`.replace(/^\//, '');
    try {
      const response = await fetch(`${this.url.origin}/v2/${path}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_TYPES } });
      return response.ok;
    } catch {
      return false;
    }
  }
}
