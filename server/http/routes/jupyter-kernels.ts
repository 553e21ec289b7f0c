// Jupyter Server's kernel and session endpoints (/api/kernels, /api/sessions), in its shapes
// and status codes, over Tandem's shared per-notebook kernels. Access rules live in the
// kernels and sessions themselves; this is only the HTTP edge.

import type { FastifyInstance } from 'fastify';
import type { JupyterApi, KernelRef } from '../../jupyter';
import { requirePrincipal } from '../auth';
import { forbidden } from '../errors';

type IdParams = { id: string };

const KERNEL_BODY = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 256 },
    path: { type: 'string', maxLength: 4096 },
    env: { type: 'object', additionalProperties: true },
  },
} as const;

const SESSION_BODY = {
  type: 'object',
  properties: {
    path: { type: 'string', maxLength: 4096 },
    name: { type: 'string', maxLength: 4096 },
    type: { type: 'string', maxLength: 64 },
    kernel: {
      type: ['object', 'null'],
      properties: { id: { type: ['string', 'null'], maxLength: 256 }, name: { type: ['string', 'null'], maxLength: 256 } },
    },
  },
} as const;

type KernelBody = { name?: string; path?: string; env?: Record<string, unknown> };
type SessionBody = { path?: string; name?: string; type?: string; kernel?: { id?: string | null; name?: string | null } | null };

/** Only KERNEL_* variables, as Enterprise Gateway does: a client must not set PATH or LD_PRELOAD here. */
function kernelEnv(env: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter(([key, value]) => key.startsWith('KERNEL_') && typeof value === 'string')) as Record<
    string,
    string
  >;
}

function kernelOf(body: SessionBody['kernel']): { id?: string; name?: string } | undefined {
  if (!body) return undefined;
  return { id: body.id ?? undefined, name: body.name ?? undefined };
}

export function jupyterKernelRoutes(app: FastifyInstance, api: JupyterApi): void {
  const { kernels, sessions } = api;

  app.get('/api/kernels', async (request) => kernels.list(requirePrincipal(request)));

  app.post<{ Body: KernelBody | null }>('/api/kernels', { schema: { body: { anyOf: [KERNEL_BODY, { type: 'null' }] } } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const body = request.body ?? {};
    const notebook = body.path ? await api.resolve(body.path, principal.kind === 'owner') : undefined;
    let ref: KernelRef;
    if (notebook?.fileId !== undefined) {
      kernels.requireRunner(principal, notebook.fileId);
      ref = await kernels.startForNotebook(notebook.fileId);
    } else {
      if (principal.kind !== 'owner') throw forbidden('Only the server owner can start a kernel with no notebook');
      const kernel = await api.standalone.start(body.name, kernelEnv(body.env));
      ref = { kind: 'standalone', id: kernel.id, kernel } as const;
    }
    void reply.status(201).header('Location', `/api/kernels/${encodeURIComponent(ref.id)}`);
    return kernels.model(ref);
  });

  app.get<{ Params: IdParams }>('/api/kernels/:id', async (request) => kernels.model(kernels.find(requirePrincipal(request), request.params.id)));

  app.delete<{ Params: IdParams }>('/api/kernels/:id', async (request, reply) => {
    const ref = kernels.find(requirePrincipal(request), request.params.id);
    await kernels.shutdown(ref);
    sessions.kernelGone(ref.id);
    return reply.status(204).send();
  });

  app.post<{ Params: IdParams }>('/api/kernels/:id/interrupt', async (request, reply) => {
    await kernels.interrupt(kernels.find(requirePrincipal(request), request.params.id));
    return reply.status(204).send();
  });

  app.post<{ Params: IdParams }>('/api/kernels/:id/restart', async (request) => {
    const ref = kernels.find(requirePrincipal(request), request.params.id);
    await kernels.restart(ref);
    return kernels.model(ref);
  });

  app.get('/api/sessions', async (request) => sessions.list(requirePrincipal(request)));

  app.post<{ Body: SessionBody }>('/api/sessions', { schema: { body: SESSION_BODY } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { path, name, type, kernel } = request.body;
    const model = await sessions.create(principal, { path: path ?? name ?? '', name, type, kernel: kernelOf(kernel) });
    void reply.status(201).header('Location', `/api/sessions/${model.id}`);
    return model;
  });

  app.get<{ Params: IdParams }>('/api/sessions/:id', async (request) => sessions.get(requirePrincipal(request), request.params.id));

  app.patch<{ Params: IdParams; Body: SessionBody }>('/api/sessions/:id', { schema: { body: SESSION_BODY } }, async (request) => {
    const { path, name, type, kernel } = request.body;
    return sessions.update(requirePrincipal(request), request.params.id, { path, name, type, kernel: kernelOf(kernel) });
  });

  app.delete<{ Params: IdParams }>('/api/sessions/:id', async (request, reply) => {
    await sessions.delete(requirePrincipal(request), request.params.id);
    return reply.status(204).send();
  });
}
