// One notebook's environment, seen from its document. It plans each kernel launch from the
// specification in the notebook's metadata at that moment (building the environment first,
// with the build's progress in the `kernel` map for everyone), records which environment the
// kernel runs in and whether it came from the warm pool, and watches the metadata: when the
// specification changes under a running kernel it says so (`pendingEnvironment`), and when it
// is invalid it says why (`environmentError`), so the client can offer a restart or a fix.

import type * as Y from 'yjs';
import { KernelLaunchError, type KernelSpec } from '../../kernel-bridge';
import type { ContainerEnvironments, ImagePlan } from '../../kernel-bridge/containers';
import {
  type BuildProgress,
  EnvironmentRuntime,
  environmentKernelSpec,
  InvalidEnvironmentSpec,
  type LaunchedInfo,
  type LaunchPlan,
  NoInterpreter,
} from '../../kernel-bridge/environments';
import type { KernelStateWriter } from '../notebooks/kernel-state';
import type { Room } from '../rooms/room';
import type { EnvironmentService, NotebookRequest, Resolution } from './environment-service';
import { environmentSpecOf, kernelNameOf, resourcesOf } from './notebook-metadata';
import { ProvisioningReporter } from './provisioning-reporter';

export interface NotebookEnvironmentOptions {
  room: Room;
  /** Where the environment reports, beside the kernel session: the notebook's one kernel-map writer. */
  kernelState: KernelStateWriter;
  service: EnvironmentService;
  /** The notebook's folder now (it follows renames). */
  notebookDir(): string;
  log: { warn(obj: object, msg?: string): void };
}

type LiveStatus = 'starting' | 'restarting' | 'idle' | 'busy' | 'dead' | 'shutdown' | 'provisioning';

// Spec edits arrive keystroke by keystroke from the Environment panel; check once they settle.
const CHECK_DELAY_MS = 400;

export class NotebookEnvironment {
  readonly runtime: EnvironmentRuntime;
  private readonly kernel: KernelStateWriter;
  private readonly meta: Y.Map<unknown>;
  private readonly onMetaChange: () => void;
  private checkTimer: NodeJS.Timeout | undefined;
  private sessionStatus: () => string = () => 'shutdown';
  /** What the live kernel runs: an environment id, or "kernelspec" for a kernelspec used as installed. */
  private running: string | undefined;
  private planHold: (() => void) | undefined;
  private disposed = false;

  constructor(private readonly options: NotebookEnvironmentOptions) {
    this.kernel = options.kernelState;
    this.meta = options.room.doc.getMap('meta');
    this.runtime = new EnvironmentRuntime({
      base: options.service.runtime,
      pool: options.service.pool,
      notebookId: options.room.fileId,
      plan: async () => ({
        ...(await this.planFor()),
        // Checked by the runtimes that set per-kernel resources (Kubernetes), against their maximum.
        resources: resourcesOf(options.room.doc),
      }),
      launched: (info) => this.launched(info),
    });
    this.onMetaChange = () => this.scheduleCheck();
    this.meta.observeDeep(this.onMetaChange);
    this.scheduleCheck();
  }

  /** Lets the binding read the session's status (to restore it after a build). */
  followSession(status: () => string): void {
    this.sessionStatus = status;
  }

  /** The kernelspec a session is created with: its name and display name are what people see. */
  async sessionSpec(): Promise<KernelSpec> {
    try {
      const resolution = await this.resolve();
      return resolution.kind === 'environment' ? resolution.like : resolution.spec;
    } catch {
      // An unusable specification is reported when the kernel starts, where runs can fail with
      // the reason; the session itself must exist for that.
      return this.options.service.defaultKernelSpec();
    }
  }

  /**
   * True when the notebook's kernel can start without building anything and nothing else has it
   * ready: its own environment is built, or, with containers (which the warm pool does not hold),
   * its image exists — the kernel image, for a notebook that declares nothing (and, with one
   * image for every kernel, that image).
   */
  async ownEnvironmentReady(): Promise<boolean> {
    try {
      const { containers, fixedImage } = this.options.service;
      // The one image is taken to be there (the cluster pulls it), as a built image is for containers.
      if (fixedImage) return environmentSpecOf(this.options.room.doc) === undefined;
      if (containers) return await containers.exists(await containers.resolve(this.options.service.normalise(this.request())));
      if (environmentSpecOf(this.options.room.doc) === undefined) return false;
      const resolution = await this.resolve();
      return resolution.kind === 'environment' && (await this.options.service.environments.lookup(resolution.plan.id)) !== undefined;
    } catch {
      return false;
    }
  }

  /** The kernel stopped (shut down or died): nothing runs in any environment for this notebook now. */
  kernelStopped(): void {
    this.running = undefined;
    this.kernel.write({ pendingEnvironment: undefined });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.checkTimer);
    this.meta.unobserveDeep(this.onMetaChange);
    this.planHold?.();
  }

  private request(): NotebookRequest {
    return { rawSpec: environmentSpecOf(this.options.room.doc), kernelName: kernelNameOf(this.options.room.doc), baseDir: this.options.notebookDir() };
  }

  private resolve(): Promise<Resolution> {
    return this.options.service.resolve(this.request());
  }

  /** What the kernel runs, as an id: the environment, or "kernelspec" for a kernelspec as installed. */
  private async wantedId(): Promise<string> {
    const { containers, fixedImage } = this.options.service;
    if (fixedImage) {
      this.checkNoOwnEnvironment(fixedImage);
      return 'kernelspec';
    }
    if (containers) return (await containers.resolve(this.options.service.normalise(this.request()))).id;
    const resolution = await this.resolve();
    return resolution.kind === 'environment' ? resolution.plan.id : 'kernelspec';
  }

  private planFor(): Promise<LaunchPlan> {
    const { containers, fixedImage } = this.options.service;
    if (fixedImage) return this.planFixedImage(fixedImage);
    return containers ? this.planImage(containers) : this.plan();
  }

  /**
   * Every kernel runs one image (the Kubernetes runtime, for now): nothing is built, and a
   * notebook that declares its own environment is told it cannot have it here, rather than
   * silently running without its packages.
   */
  private async planFixedImage(image: string): Promise<LaunchPlan> {
    try {
      this.checkNoOwnEnvironment(image);
    } catch (error) {
      const message = describeProblem(error);
      this.kernel.write({ environmentError: message, status: 'dead', message });
      throw new KernelLaunchError(message);
    }
    this.kernel.write({ environmentError: undefined });
    return { spec: await this.options.service.defaultKernelSpec(), image };
  }

  private checkNoOwnEnvironment(image: string): void {
    if (environmentSpecOf(this.options.room.doc) === undefined) return;
    throw new InvalidEnvironmentSpec(
      `this server runs every kernel in the image ${image}, and does not build per-notebook environments on Kubernetes yet. Remove the environment to run the notebook here.`,
    );
  }

  /** The container runtime's plan: the environment's image, built first (with progress) if needed. */
  private async planImage(containers: ContainerEnvironments): Promise<LaunchPlan> {
    let plan: ImagePlan;
    try {
      plan = await containers.resolve(this.options.service.normalise(this.request()));
    } catch (error) {
      const message = describeProblem(error);
      this.kernel.write({ environmentError: message, status: 'dead', message });
      throw new KernelLaunchError(message);
    }
    this.kernel.write({ environmentError: undefined });
    // Recorded before the image is checked, so that garbage collection does not take it meanwhile.
    await containers.touch(plan);
    if (!(await containers.exists(plan))) {
      await this.build(plan.id, (progress) => containers.ensure(plan, progress));
    }
    return { spec: await this.options.service.defaultKernelSpec(), environmentId: plan.id, image: plan.image };
  }

  private async plan(): Promise<LaunchPlan> {
    let resolution: Resolution;
    try {
      resolution = await this.resolve();
    } catch (error) {
      const message = describeProblem(error);
      // Dead before the launch fails, as after a failed build, so that anyone who sees the
      // run fail also sees why no kernel is coming.
      this.kernel.write({ environmentError: message, status: 'dead', message });
      throw new KernelLaunchError(message);
    }
    this.kernel.write({ environmentError: undefined });
    if (resolution.kind === 'kernelspec') return { spec: resolution.spec };

    const { plan, like } = resolution;
    const environments = this.options.service.environments;
    this.planHold?.();
    this.planHold = environments.hold(plan.id);
    let built = await environments.lookup(plan.id);
    if (built) {
      await environments.cache.touch(plan.id);
    } else {
      built = await this.build(plan.id, (progress) => environments.ensure(plan, progress));
    }
    return { spec: environmentKernelSpec(built, like), environmentId: plan.id };
  }

  /**
   * Runs a build (a venv or an image) with its progress in the `kernel` map for everyone; a
   * failed build leaves the kernel dead with the builder's message.
   */
  private async build<T>(environmentId: string, ensure: (progress: (update: BuildProgress) => void) => Promise<T>): Promise<T> {
    const reporter = new ProvisioningReporter(this.kernel, environmentId);
    reporter.begin();
    let built: T;
    try {
      built = await ensure((progress) => reporter.update(progress));
    } catch (error) {
      const message = describeError(error);
      reporter.end('dead', message);
      throw new KernelLaunchError(message);
    }
    const restarting = this.sessionStatus() === 'restarting';
    reporter.end(restarting ? 'restarting' : 'starting', restarting ? 'Restarting the kernel' : 'Starting the kernel');
    return built;
  }

  private launched(info: LaunchedInfo): void {
    if (info.environmentId) {
      // The environment is kept from garbage collection for as long as this kernel lives.
      const release = this.options.service.environments.hold(info.environmentId);
      void info.kernel.exited.then(release);
    }
    this.planHold?.();
    this.planHold = undefined;
    this.running = info.environmentId ?? 'kernelspec';
    this.kernel.write({ environment: info.environmentId, pooled: info.pooled, pendingEnvironment: undefined });
  }

  private scheduleCheck(): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => void this.check(), CHECK_DELAY_MS);
    this.checkTimer.unref();
  }

  /** Compares the specification with what the live kernel runs, and reports problems. */
  private async check(): Promise<void> {
    let wanted: string | undefined;
    let problem: string | undefined;
    try {
      wanted = await this.wantedId();
    } catch (error) {
      problem = describeProblem(error);
      if (!isSpecProblem(error)) this.options.log.warn({ error: problem }, "could not resolve a notebook's environment");
    }
    if (this.disposed) return;
    const live = isLive(this.sessionStatus() as LiveStatus) ? this.running : undefined;
    const pending = live !== undefined && wanted !== undefined && wanted !== live ? wanted : undefined;
    this.kernel.write({ environmentError: problem, pendingEnvironment: pending });
  }
}

function isLive(status: LiveStatus): boolean {
  return status === 'starting' || status === 'restarting' || status === 'idle' || status === 'busy';
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A problem with what the notebook asks for (which people fix), not with the server. */
function isSpecProblem(error: unknown): error is InvalidEnvironmentSpec | NoInterpreter {
  return error instanceof InvalidEnvironmentSpec || error instanceof NoInterpreter;
}

function describeProblem(error: unknown): string {
  if (isSpecProblem(error)) return error.message;
  return `The notebook's environment could not be prepared: ${describeError(error)}`;
}
