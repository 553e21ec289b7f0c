// The kernels the Jupyter kernel API shows: each open notebook's shared kernel, under the
// notebook's fileId as kernel id (so a kernel keeps its id across restarts, as Jupyter's do),
// and the standalone kernels. Decides who reaches which: a share reaches only its notebook's
// kernel (every other kernel is not found to it), and needs `runner` to use it.

import { type Role, roleAtLeast } from '../../common/doc-schema';
import { type Principal, roleOn } from '../auth/principal';
import { forbidden, notFound } from '../errors';
import type { NotebookExtension } from '../notebooks/notebook-extension';
import type { OpenNotebook } from '../notebooks/open-notebook';
import type { OpenNotebooks } from '../notebooks/open-notebooks';
import type { KernelChannels } from './kernel-channels';
import type { NotebookChannels } from './notebook-channels';
import type { StandaloneKernel, StandaloneKernels } from './standalone-kernels';

export type KernelRef = { kind: 'notebook'; id: string; notebook: OpenNotebook } | { kind: 'standalone'; id: string; kernel: StandaloneKernel };

/** Jupyter Server's kernel model. */
export interface KernelModel {
  id: string;
  name: string;
  last_activity: string;
  execution_state: string;
  connections: number;
  reason?: string;
}

export interface JupyterKernelsOptions {
  notebooks: OpenNotebooks;
  standalone: StandaloneKernels;
  channels: NotebookExtension<NotebookChannels>;
  defaultKernel: string;
}

export class JupyterKernels {
  constructor(private readonly options: JupyterKernelsOptions) {}

  /** Kernel `id` as `principal` may use it; not found to anyone who may not see it. */
  find(principal: Principal, id: string, needed: Role = 'runner'): KernelRef {
    const standalone = this.options.standalone.get(id);
    if (standalone) {
      if (principal.kind !== 'owner') throw notFound(`No kernel with id ${id}`);
      return { kind: 'standalone', id, kernel: standalone };
    }
    const notebook = this.options.notebooks.get(id);
    const role = roleOn(principal, id);
    if (!notebook || !role || !this.isRunning(notebook)) throw notFound(`No kernel with id ${id}`);
    if (!roleAtLeast(role, needed)) throw forbidden(`Using this kernel needs the ${needed} role; this link has ${role}`);
    return { kind: 'notebook', id, notebook };
  }

  /** Refuses unless `principal` may run code on the notebook: not found if it cannot see it at all. */
  requireRunner(principal: Principal, fileId: string): void {
    const role = roleOn(principal, fileId);
    if (!role) throw notFound('This link does not reach that notebook');
    if (!roleAtLeast(role, 'runner')) throw forbidden(`Running code needs the runner role; this link has ${role}`);
  }

  /** The notebook's kernel, started if it is not running. The caller checked the role. */
  async startForNotebook(fileId: string): Promise<KernelRef> {
    return this.options.notebooks.with(fileId, async (notebook) => {
      const kernel = notebook.kernel();
      if (!kernel.alive) await kernel.prestart();
      return { kind: 'notebook', id: fileId, notebook } as const;
    });
  }

  list(principal: Principal): KernelModel[] {
    const refs: KernelRef[] = [];
    if (principal.kind === 'owner') {
      for (const kernel of this.options.standalone.list()) refs.push({ kind: 'standalone', id: kernel.id, kernel });
      for (const notebook of this.options.notebooks.loaded()) {
        if (this.isRunning(notebook)) refs.push({ kind: 'notebook', id: notebook.fileId, notebook });
      }
    } else {
      const notebook = this.options.notebooks.get(principal.share.fileId);
      // Below runner the kernel is refused (403), so it is not listed either.
      if (notebook && roleAtLeast(principal.share.role, 'runner') && this.isRunning(notebook)) refs.push({ kind: 'notebook', id: notebook.fileId, notebook });
    }
    return refs.map((ref) => this.model(ref));
  }

  model(ref: KernelRef): KernelModel {
    if (ref.kind === 'standalone') {
      const { handle, channels } = ref.kernel;
      return {
        id: ref.id,
        name: handle.spec.name,
        last_activity: new Date(handle.lastActivity).toISOString(),
        execution_state: handle.status,
        connections: channels.connections,
        ...(handle.status === 'dead' ? { reason: ref.kernel.statusMessage } : {}),
      };
    }
    const kernel = ref.notebook.kernel();
    const state = kernel.status;
    return {
      id: ref.id,
      name: kernel.specName ?? this.options.defaultKernel,
      last_activity: new Date(kernel.lastActivity || Date.now()).toISOString(),
      execution_state: state,
      connections: ref.notebook.listener(this.options.channels).connections,
      ...(state === 'dead' ? { reason: kernel.statusMessage ?? 'The kernel died' } : {}),
    };
  }

  channels(ref: KernelRef): KernelChannels {
    return ref.kind === 'standalone' ? ref.kernel.channels : ref.notebook.listener(this.options.channels).get();
  }

  async interrupt(ref: KernelRef): Promise<void> {
    await (ref.kind === 'standalone' ? ref.kernel.handle.interrupt() : ref.notebook.kernel().interrupt());
  }

  async restart(ref: KernelRef): Promise<void> {
    await (ref.kind === 'standalone' ? ref.kernel.handle.restart() : ref.notebook.kernel().restart());
  }

  async shutdown(ref: KernelRef): Promise<void> {
    if (ref.kind === 'standalone') await this.options.standalone.shutdown(ref.id);
    else await ref.notebook.kernel().shutdown();
  }

  private isRunning(notebook: OpenNotebook): boolean {
    const status = notebook.existingKernel()?.status;
    return status !== undefined && status !== 'shutdown';
  }
}
