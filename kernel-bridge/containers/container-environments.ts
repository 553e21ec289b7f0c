// Notebook environments as images: the kernel image over the configured Python base, and for a
// notebook that declares requirements, an environment image over that, tagged with the
// environment's id (the same content hash that names local environments). Building happens on
// demand, once per tag, with progress for people watching; a notebook without requirements
// runs the kernel image itself. Environment images nobody used for a while are removed
// (image-gc.ts), by the venv cache's policy.

import { rm } from 'node:fs/promises';
import { environmentId } from '../environments/environment-id';
import { imageEnvironmentId, prepareSpecImageBuild } from '../environments/image-context';
import type { NormalisedSpec } from '../environments/spec';
import { type BridgeLogger, silentLogger } from '../logger';
import { ImageBuilds, type ImageProgressListener } from './image-build';
import { collectImageGarbage, recordImageUse } from './image-gc';
import { type KernelImageSources, prepareKernelImage } from './kernel-image';
import type { Podman } from './podman';

export interface ContainerEnvironmentsOptions {
  podman: Podman;
  /** The Python base image the kernel image is built on (--kernel-base-image). */
  baseImage: string;
  kernel: KernelImageSources;
  /** images/environment/Dockerfile */
  environmentDockerfile: string;
  /** Default 20 minutes. */
  buildTimeoutMs?: number;
  /** Where uses of environment images are recorded, for garbage collection; without it, none are. */
  usesDir?: string;
  logger?: BridgeLogger;
}

export interface ImagePlan {
  /** The environment id. */
  id: string;
  /** What the kernel's container runs. */
  image: string;
  /** The notebook's specification, when it asks for more than the kernel image has. */
  spec: NormalisedSpec | undefined;
}

const NO_INDEX = { extraIndexUrls: [], findLinks: [], noIndex: false };

export class ContainerEnvironments {
  private readonly builds: ImageBuilds;
  private readonly stopping = new AbortController();
  /** The garbage collection under way, if any, which shutdown waits for once it is stopped. */
  private collecting: Promise<unknown> = Promise.resolve();
  private readonly logger: BridgeLogger;
  private kernelTag: Promise<string> | undefined;

  constructor(private readonly options: ContainerEnvironmentsOptions) {
    this.logger = options.logger ?? silentLogger;
    this.builds = new ImageBuilds(options.podman, { timeoutMs: options.buildTimeoutMs ?? 20 * 60_000, signal: this.stopping.signal });
  }

  /** The kernel image's tag (a hash of its sources; nothing is built). */
  kernelImage(): Promise<string> {
    this.kernelTag ??= prepareKernelImage(this.options.baseImage, this.options.kernel).then(async (context) => {
      await rm(context.contextDir, { recursive: true, force: true });
      return context.tag;
    });
    return this.kernelTag;
  }

  /** The plan for a notebook's specification (undefined: the default environment), building nothing. */
  async resolve(spec: NormalisedSpec | undefined): Promise<ImagePlan> {
    const kernel = await this.kernelImage();
    const needed = spec && (spec.requirements.length > 0 || spec.python !== undefined || spec.kernel !== undefined) ? spec : undefined;
    if (!needed) {
      const id = environmentId({ base: { kind: 'image', image: kernel }, requirements: [], index: NO_INDEX, installsKernel: false, helper: null });
      return { id, image: kernel, spec: undefined };
    }
    const id = imageEnvironmentId(needed, kernel);
    return { id, image: `localhost/tandem-env:${id}`, spec: needed };
  }

  async exists(plan: ImagePlan): Promise<boolean> {
    return this.options.podman.imageExists(plan.image);
  }

  /** Builds what the plan needs (the kernel image, then the environment's) unless it exists. */
  async ensure(plan: ImagePlan, onProgress?: ImageProgressListener): Promise<void> {
    const kernel = await this.kernelImage();
    if (!(await this.options.podman.imageExists(kernel))) {
      const context = await prepareKernelImage(this.options.baseImage, this.options.kernel);
      try {
        this.logger.info({ image: kernel, base: this.options.baseImage }, 'building the kernel image');
        await this.builds.ensure(
          { tag: kernel, contextDir: context.contextDir, dockerfile: this.options.kernel.dockerfile, buildArgs: context.buildArgs, label: 'the kernel image' },
          onProgress,
        );
      } finally {
        await rm(context.contextDir, { recursive: true, force: true });
      }
    }
    if (!plan.spec || (await this.options.podman.imageExists(plan.image))) return;
    const build = await prepareSpecImageBuild(plan.spec, { base: kernel, repository: 'localhost/tandem-env', dockerfile: this.options.environmentDockerfile });
    try {
      this.logger.info({ image: plan.image }, 'building an environment image');
      await this.builds.ensure(
        {
          tag: build.image,
          contextDir: build.contextDir,
          dockerfile: `${build.contextDir}/Dockerfile`,
          buildArgs: { BASE: kernel, ENVIRONMENT_ID: build.environmentId },
          label: "this notebook's environment image",
        },
        onProgress,
      );
    } finally {
      await rm(build.contextDir, { recursive: true, force: true });
    }
  }

  /** Records that a kernel is about to run the plan's environment image (the kernel image needs no record). */
  async touch(plan: ImagePlan): Promise<void> {
    if (plan.spec && this.options.usesDir) await recordImageUse(this.options.usesDir, plan.id);
  }

  /** Removes environment images unused for maxIdleMs (see image-gc.ts); returns their tags. */
  async collectGarbage(maxIdleMs: number): Promise<string[]> {
    const usesDir = this.options.usesDir;
    if (!usesDir || this.stopping.signal.aborted) return [];
    const pass = collectImageGarbage(this.options.podman, {
      usesDir,
      maxIdleMs,
      busy: (id) => this.builds.building(`localhost/tandem-env:${id}`),
      logger: this.logger,
      signal: this.stopping.signal,
    });
    this.collecting = pass.catch(() => []);
    return pass;
  }

  /** Stops builds and a garbage collection under way (their podman processes too), and waits for them; for shutdown. */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.builds.settled(), this.collecting]);
  }
}
