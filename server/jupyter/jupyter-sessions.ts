// Jupyter sessions: a name for "this client works on this path with this kernel". A session on
// a notebook's path is bound to that notebook's shared kernel, so a second session on the same
// path gets the same kernel. Deleting a session shuts its kernel down only when nothing else
// (a room, another session) uses it. Sessions live in memory, as Jupyter Server's do.

import { randomUUID } from 'node:crypto';
import { roleAtLeast } from '../../common/doc-schema';
import { type Principal, roleOn } from '../auth/principal';
import { notFound } from '../errors';
import type { JupyterKernels, KernelModel, KernelRef } from './jupyter-kernels';
import type { StandaloneKernels } from './standalone-kernels';

export interface SessionRequest {
  path: string;
  name?: string;
  type?: string;
  kernel?: { id?: string; name?: string };
}

/** Where a session's path points: a notebook (with its fileId), or anything else. */
export type ResolvedPath = { apiPath: string; fileId: string | undefined };

interface Session {
  id: string;
  path: string;
  name: string;
  type: string;
  kernelId: string;
  /** The notebook the session is on, if it is on one. */
  fileId: string | undefined;
}

export interface SessionModel {
  id: string;
  path: string;
  name: string;
  type: string;
  kernel: KernelModel | null;
  notebook: { path: string; name: string };
}

export interface JupyterSessionsOptions {
  kernels: JupyterKernels;
  standalone: StandaloneKernels;
  /** A path's notebook, if it is one (its fileId assigned if new). */
  resolve(path: string, assign: boolean): Promise<ResolvedPath>;
  /** How many room connections the notebook has now. */
  roomSize(fileId: string): number;
}

export class JupyterSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: JupyterSessionsOptions) {}

  async create(principal: Principal, request: SessionRequest): Promise<SessionModel> {
    const { apiPath, fileId } = await this.options.resolve(request.path, principal.kind === 'owner');
    this.requireRunner(principal, fileId);
    let ref: KernelRef;
    if (fileId !== undefined) ref = await this.options.kernels.startForNotebook(fileId);
    else if (request.kernel?.id) ref = this.options.kernels.find(principal, request.kernel.id);
    else {
      const kernel = await this.options.standalone.start(request.kernel?.name, {});
      ref = { kind: 'standalone', id: kernel.id, kernel };
    }
    const session: Session = {
      id: randomUUID(),
      path: apiPath,
      name: request.name ?? '',
      type: request.type ?? (fileId !== undefined ? 'notebook' : 'console'),
      kernelId: ref.id,
      fileId,
    };
    this.sessions.set(session.id, session);
    return this.model(principal, session);
  }

  list(principal: Principal): SessionModel[] {
    return [...this.sessions.values()].filter((session) => this.reaches(principal, session)).map((session) => this.model(principal, session));
  }

  get(principal: Principal, id: string): SessionModel {
    return this.model(principal, this.find(principal, id));
  }

  async update(principal: Principal, id: string, change: Partial<SessionRequest>): Promise<SessionModel> {
    const session = this.find(principal, id);
    this.requireRunner(principal, session.fileId);
    if (change.path !== undefined && change.path !== session.path) {
      const { apiPath, fileId } = await this.options.resolve(change.path, principal.kind === 'owner');
      this.requireRunner(principal, fileId);
      session.path = apiPath;
      if (fileId !== undefined && fileId !== session.fileId) {
        session.fileId = fileId;
        session.kernelId = (await this.options.kernels.startForNotebook(fileId)).id;
      }
    }
    if (change.name !== undefined) session.name = change.name;
    if (change.type !== undefined) session.type = change.type;
    if (change.kernel?.id && change.kernel.id !== session.kernelId) {
      session.kernelId = this.options.kernels.find(principal, change.kernel.id).id;
    } else if (change.kernel?.name && session.fileId === undefined) {
      const kernel = await this.options.standalone.start(change.kernel.name, {});
      session.kernelId = kernel.id;
    }
    return this.model(principal, session);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const session = this.find(principal, id);
    this.requireRunner(principal, session.fileId);
    this.sessions.delete(id);
    const stillUsed = [...this.sessions.values()].some((other) => other.kernelId === session.kernelId);
    const roomOpen = session.fileId !== undefined && this.options.roomSize(session.fileId) > 0;
    if (stillUsed || roomOpen) return;
    const ref = this.tryFind(principal, session.kernelId);
    if (ref) await this.options.kernels.shutdown(ref);
  }

  /** Whether the session lives on this server (in a cluster, each lives on the replica that made it). */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /** The kernel was shut down through the kernel API: its sessions go with it, as in Jupyter Server. */
  kernelGone(kernelId: string): void {
    for (const [id, session] of this.sessions) if (session.kernelId === kernelId) this.sessions.delete(id);
  }

  private find(principal: Principal, id: string): Session {
    const session = this.sessions.get(id);
    if (!session || !this.reaches(principal, session)) throw notFound(`No session with id ${id}`);
    return session;
  }

  private reaches(principal: Principal, session: Session): boolean {
    return principal.kind === 'owner' || (session.fileId !== undefined && roleAtLeast(roleOn(principal, session.fileId), 'viewer'));
  }

  private requireRunner(principal: Principal, fileId: string | undefined): void {
    if (principal.kind === 'owner') return;
    if (fileId === undefined) throw notFound('This link reaches only its own notebook');
    this.options.kernels.requireRunner(principal, fileId);
  }

  private tryFind(principal: Principal, kernelId: string): KernelRef | undefined {
    try {
      return this.options.kernels.find(principal, kernelId);
    } catch {
      return undefined;
    }
  }

  private model(principal: Principal, session: Session): SessionModel {
    const ref = this.tryFind(principal, session.kernelId);
    const name = session.path.split('/').pop() ?? session.path;
    return {
      id: session.id,
      path: session.path,
      name: session.name || name,
      type: session.type,
      kernel: ref ? this.options.kernels.model(ref) : null,
      notebook: { path: session.path, name: session.name || name },
    };
  }
}
