// Builds one image with podman, once: callers asking for a tag that is being built share that
// build and hear its progress. The tag is applied only by a build that succeeded, so a failed
// build leaves no image under it (its cached layers stay, and make the next attempt quicker).

import type { BuildProgress } from '../environments/build-progress';
import { summarise } from '../environments/environment-build';
import type { Podman } from './podman';

export interface ImageBuildRequest {
  tag: string;
  contextDir: string;
  /** Path of the Dockerfile (inside the context or not). */
  dockerfile: string;
  buildArgs?: Record<string, string>;
  /** What the progress reports say is being built, e.g. "the kernel image". */
  label: string;
}

export type ImageProgressListener = (progress: BuildProgress) => void;

export class ImageBuildFailed extends Error {
  constructor(
    message: string,
    readonly output: string[] = [],
  ) {
    super(message);
    this.name = 'ImageBuildFailed';
  }
}

interface SharedBuild {
  result: Promise<void>;
  listeners: Set<ImageProgressListener>;
  latest: BuildProgress | undefined;
}

const STEP = /^STEP (\d+)\/(\d+):/;

export class ImageBuilds {
  private readonly builds = new Map<string, SharedBuild>();

  constructor(
    private readonly podman: Podman,
    private readonly options: { timeoutMs: number; signal: AbortSignal },
  ) {}

  /** Builds the image unless its tag exists; resolves once it does. Rejects with ImageBuildFailed. */
  async ensure(request: ImageBuildRequest, onProgress?: ImageProgressListener): Promise<void> {
    if (!this.builds.has(request.tag) && (await this.podman.imageExists(request.tag))) return;
    let build = this.builds.get(request.tag);
    if (!build) {
      const shared: SharedBuild = { listeners: new Set(), latest: undefined, result: Promise.resolve() };
      shared.result = this.build(request, (progress) => {
        shared.latest = progress;
        for (const listener of shared.listeners) {
          try {
            listener(progress);
          } catch {
            // One watcher's failure must not fail the build everyone shares.
          }
        }
      }).finally(() => this.builds.delete(request.tag));
      this.builds.set(request.tag, shared);
      build = shared;
    }
    if (onProgress) {
      build.listeners.add(onProgress);
      if (build.latest) onProgress(build.latest);
    }
    try {
      await build.result;
    } finally {
      if (onProgress) build.listeners.delete(onProgress);
    }
  }

  /** True while the tag is being built. */
  building(tag: string): boolean {
    return this.builds.has(tag);
  }

  /** Resolves once no build is under way. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.builds.values()].map((build) => build.result));
  }

  private async build(request: ImageBuildRequest, report: ImageProgressListener): Promise<void> {
    const phase = `Building ${request.label}`;
    let progress = 0;
    report({ phase, progress });
    const args = ['build', '--layers', '--tag', request.tag, '--file', request.dockerfile];
    for (const [name, value] of Object.entries(request.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`);
    args.push(request.contextDir);
    const result = await this.podman.call(args, {
      timeoutMs: this.options.timeoutMs,
      signal: this.options.signal,
      onLine: (line) => {
        const step = STEP.exec(line);
        // Steps are uneven (a RUN of pip is most of the time), but they are what podman tells us.
        if (step) progress = Math.max(progress, Math.round(((Number(step[1]) - 1) / Number(step[2])) * 100) / 100);
        report({ phase, progress, line });
      },
    });
    if (this.options.signal.aborted) throw new ImageBuildFailed(`Could not build ${request.label}: the build was stopped`, result.lines);
    if (result.timedOut) throw new ImageBuildFailed(`Could not build ${request.label}: it took too long`, result.lines);
    if (result.code !== 0) throw new ImageBuildFailed(`Could not build ${request.label}:\n${summarise(result.lines)}`, result.lines);
    report({ phase, progress: 1 });
  }
}
