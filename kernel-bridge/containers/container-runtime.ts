// Runs each kernel in a container of its own with podman: from the environment's image, as the
// image's non-root user, with only the notebook's folder mounted (read-write, as the working
// directory) and the connection file mounted read-only, under memory, CPU and process limits.
// The kernel's ZeroMQ ports are published on 127.0.0.1 only. `--init` puts a small init
// process at PID 1 that forwards signals to the kernel, so that interrupts and shutdown work.
//
// Warm containers (the warm pool) start before anyone knows their notebook. They run the same
// image with the same isolation and limits (the configured defaults: a notebook has no resources
// of its own here), but mount an empty slot (see WarmSlots) as their working directory; a claim
// mounts the notebook's folder onto the slot, and the kernel then changes into it.
//
// Labels: podman fixes a container's labels when it is created, and a warm container is created
// before its notebook is known. So every container carries `tandem.server=<server id>` (which
// the orphan sweep at start-up and shutdown goes by, warm or not); one started for a notebook
// carries `tandem.notebook=<fileId>`; one started warm carries `tandem.warm=true` instead, for
// good. Claiming it renames it `tandem-notebook-<fileId>-<suffix>` (names, unlike labels, can
// change) and the server keeps a record of the claim beside its slot (SLOTS/<name>.json, with
// the notebook's id and folder) for as long as the container runs.

import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BridgeLogger, describeError, silentLogger } from '../logger';
import { newConnectionInfo, writeConnectionFile } from '../runtimes/connection-file';
import { KernelLaunchError, type KernelRuntime, type LaunchedKernel, type LaunchRequest, type WarmClaim } from '../runtimes/runtime';
import { ContainerKernel } from './container-kernel';
import type { Podman } from './podman';
import type { WarmSlots } from './warm-slots';

export interface ContainerLimits {
  /** podman's --memory, e.g. "512m"; undefined: no limit. */
  memory?: string;
  /** podman's --cpus, e.g. "1"; undefined: no limit. */
  cpus?: string;
  /** Processes and threads the kernel may have at once. */
  pids: number;
}

export interface ContainerRuntimeOptions {
  podman: Podman;
  /** Labels every container with `tandem.server=<serverId>`, to find them again. */
  serverId: string;
  limits: ContainerLimits;
  /** Folders never visible to a kernel even when inside a notebook's folder (the state directory). */
  hidden?: string[];
  /** Where connection files go; created 0700. */
  runtimeDir?: string;
  /** Where warm containers mount their working folder; without it (or disabled) nothing is started warm. */
  slots?: WarmSlots;
  logger?: BridgeLogger;
}

export const SERVER_LABEL = 'tandem.server';
export const NOTEBOOK_LABEL = 'tandem.notebook';
/** `true` on a container started warm, claimed or not (see the labels above). */
export const WARM_LABEL = 'tandem.warm';
const WORKDIR = '/home/tandem/work';
const CONNECTION_FILE = '/run/tandem/connection.json';
// Host paths mean nothing inside the container (the image has the helper package itself).
const HOST_ONLY_ENV = new Set(['PYTHONPATH', 'PATH', 'HOME', 'VIRTUAL_ENV']);

const PORT_ATTEMPTS = 3;

class PortTaken extends Error {}

export class ContainerRuntime implements KernelRuntime {
  private readonly runtimeDir: string;
  private readonly logger: BridgeLogger;

  constructor(private readonly options: ContainerRuntimeOptions) {
    this.runtimeDir = options.runtimeDir ?? path.join(os.tmpdir(), `tandem-containers-${os.userInfo().uid}`);
    this.logger = options.logger ?? silentLogger;
  }

  async launch(request: LaunchRequest): Promise<ContainerKernel> {
    if (!request.image) throw new KernelLaunchError('The container runtime was asked for a kernel without an image');
    if (request.warm && !this.options.slots?.enabled)
      throw new KernelLaunchError('Containers cannot be started warm here: notebook folders cannot be mounted into them later');
    const cwdStat = await stat(request.cwd).catch(() => undefined);
    if (!cwdStat?.isDirectory()) throw new KernelLaunchError(`The kernel's working directory ${request.cwd} does not exist`);
    // The ports are free when picked, but another process may take one before podman binds it.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.start(request, request.image);
      } catch (error) {
        if (!(error instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw new KernelLaunchError(describeError(error));
        this.logger.debug({ attempt }, 'a kernel port was taken; trying others');
      }
    }
  }

  private async start(request: LaunchRequest, image: string): Promise<ContainerKernel> {
    const connection = await newConnectionInfo(request.spec.name);
    // Inside, the kernel listens on every interface of its own network namespace; outside, the
    // same ports are published on 127.0.0.1 only.
    const connectionFile = await writeConnectionFile(this.runtimeDir, { ...connection, ip: '0.0.0.0' }, 0o444);
    const ports = [connection.shell_port, connection.control_port, connection.stdin_port, connection.iopub_port, connection.hb_port];
    // Named, so that a container podman created but could not start can be removed by that name.
    const name = `tandem-${request.warm ? 'warm' : 'kernel'}-${randomUUID()}`;
    const args = ['run', '--detach', '--init', '--name', name, '--label', `${SERVER_LABEL}=${this.options.serverId}`];
    const slot = request.warm ? await this.options.slots!.create(name) : undefined;
    if (slot) args.push('--label', `${WARM_LABEL}=true`);
    else if (request.notebookId) args.push('--label', `${NOTEBOOK_LABEL}=${request.notebookId}`);
    args.push(...this.isolation(slot ?? request.cwd, slot !== undefined));
    for (const port of ports) args.push('--publish', `127.0.0.1:${port}:${port}`);
    for (const [name, value] of Object.entries({ ...request.spec.env, ...request.env })) {
      if (!HOST_ONLY_ENV.has(name)) args.push('--env', `${name}=${value}`);
    }
    args.push('--volume', `${connectionFile}:${CONNECTION_FILE}:ro`, image);

    let id: string;
    try {
      const lines = await this.options.podman.run(args);
      id = lines.at(-1)?.trim() ?? '';
      if (!/^[0-9a-f]{12,}$/.test(id)) throw new Error(`podman printed no container id: ${lines.join('\n')}`);
    } catch (error) {
      await this.options.podman.removeContainers([name]).catch(() => {});
      await rm(connectionFile, { force: true });
      if (slot) await this.options.slots!.release(name);
      const message = `Could not start the kernel's container (${image}): ${describeError(error)}`;
      throw /address already in use/i.test(message) ? new PortTaken(message) : new Error(message);
    }
    this.logger.debug({ container: id.slice(0, 12), image: request.image, notebook: request.notebookId }, 'kernel container started');
    const slots = this.options.slots;
    const gone = slot && slots ? () => slots.release(name) : undefined;
    return new ContainerKernel(this.options.podman, id, connection, connectionFile, this.logger, { slot: slot ? name : undefined, gone });
  }

  /**
   * A warm container can serve a notebook whose container would differ from it only in what is
   * mounted at its working directory: the same image (the pool's key), the default limits, and
   * a folder that holds nothing a kernel must not see (the state directory inside a notebook's
   * folder is hidden by a mount over it at start, which a running container cannot be given).
   */
  async warmClaim(request: LaunchRequest): Promise<WarmClaim | undefined> {
    const slots = this.options.slots;
    if (!slots?.enabled || !request.notebookId) return undefined;
    const cwd = path.resolve(request.cwd);
    if ((this.options.hidden ?? []).some((hidden) => isWithin(cwd, path.resolve(hidden)))) return undefined;
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) return undefined;
    const notebookId = request.notebookId;
    const env = Object.fromEntries(Object.entries(request.env ?? {}).filter(([name]) => !HOST_ONLY_ENV.has(name)));
    return { cwd: WORKDIR, poolCwd: WORKDIR, env, adopt: (kernel) => this.adoptWarm(kernel, slots, cwd, notebookId) };
  }

  /** Mounts the notebook's folder into the warm container and names the container after the notebook. */
  private async adoptWarm(kernel: LaunchedKernel, slots: WarmSlots, folder: string, notebookId: string): Promise<void> {
    if (!(kernel instanceof ContainerKernel) || !kernel.slot) throw new Error(`${kernel.id} is not a warm kernel container`);
    await slots.fill(kernel.slot, folder, notebookId);
    this.logger.debug({ kernel: kernel.id, notebook: notebookId }, 'warm kernel container claimed');
    // Not waited for: `podman rename` takes about 100 ms, most of a claim, and the name is for
    // people and tools (the claim holds without it).
    const renamed = `tandem-notebook-${notebookId}-${kernel.slot.slice(-12)}`;
    void this.options.podman.call(['rename', kernel.containerId, renamed]).then((result) => {
      if (result.code !== 0) this.logger.warn({ kernel: kernel.id, output: result.lines.join('\n') }, 'could not rename a warm container after its notebook');
    });
  }

  private isolation(cwd: string, slot: boolean): string[] {
    const { limits } = this.options;
    const args = [
      '--workdir',
      WORKDIR,
      // A slot is mounted as a slave, so that the notebook's folder mounted onto it later shows.
      ...(slot ? ['--mount', `type=bind,source=${cwd},target=${WORKDIR},bind-propagation=rslave`] : ['--volume', `${cwd}:${WORKDIR}:rw`]),
      '--pids-limit',
      String(limits.pids),
      '--cap-drop',
      'all',
      '--security-opt',
      'no-new-privileges',
      '--read-only',
      '--tmpfs',
      '/tmp:rw,nosuid,nodev,size=256m',
      '--tmpfs',
      '/home/tandem:rw,nosuid,nodev,size=64m,mode=1777',
    ];
    if (limits.memory) args.push('--memory', limits.memory, '--memory-swap', limits.memory);
    if (limits.cpus) args.push('--cpus', limits.cpus);
    // The server's own user maps onto the image's user when podman runs rootless, so files the
    // kernel writes belong to whoever runs Tandem.
    if (os.userInfo().uid !== 0) args.push('--userns', 'keep-id:uid=1000,gid=1000');
    for (const hidden of this.options.hidden ?? []) {
      const inside = path.relative(cwd, hidden);
      if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) continue;
      args.push('--tmpfs', `${path.posix.join(WORKDIR, ...inside.split(path.sep))}:ro,notmpcopyup,size=4k,mode=0000`);
    }
    return args;
  }
}

function isWithin(folder: string, inner: string): boolean {
  const relative = path.relative(folder, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
