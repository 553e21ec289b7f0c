// Tandem's execution API. Each request needs the runner role or higher on the notebook;
// results arrive through the shared document, never in these replies.

import type { FastifyInstance } from 'fastify';
import type { ExecuteReply, KernelActionReply } from '../../../common/api';
import type { OutputStore } from '../../execution/output-store';
import { runClock } from '../../execution/run-timings';
import type { OpenNotebooks } from '../../notebooks/open-notebooks';
import { requireRole } from '../auth';
import { notFound } from '../errors';
import { AFTER_SCHEMA, parseAfter } from '../state-vector-param';

type FileParams = { fileId: string };
type RunParams = { fileId: string; id: string };

export function executionRoutes(app: FastifyInstance, deps: { notebooks: OpenNotebooks; outputs: OutputStore }): void {
  const who = (identity: { username: string; name: string; color: string }) => ({
    username: identity.username,
    name: identity.name,
    color: identity.color,
  });

  app.post<{ Params: FileParams; Body: { cellIds: string[]; after?: string }; Reply: ExecuteReply }>(
    '/api/notebooks/:fileId/execute',
    {
      schema: {
        body: {
          type: 'object',
          required: ['cellIds'],
          properties: {
            cellIds: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', maxLength: 256 } },
            // The client's Yjs state vector (base64): run what it saw, including its last keystrokes.
            after: AFTER_SCHEMA,
          },
        },
      },
    },
    async (request, reply) => {
      // When the request reached the server, for --run-timings: elapsedTime counts from then.
      const clock = runClock();
      const arrivedAt = clock === null ? undefined : clock - reply.elapsedTime;
      requireRole(request, request.params.fileId, 'runner');
      const after = parseAfter(request.body.after);
      const result = await deps.notebooks.with(request.params.fileId, (notebook) =>
        notebook.kernel().execute(request.body.cellIds, who(request.principal!.identity), after, arrivedAt),
      );
      void reply.status(202);
      return result;
    },
  );

  for (const action of ['interrupt', 'restart', 'shutdown'] as const) {
    app.post<{ Params: FileParams; Reply: KernelActionReply }>(`/api/notebooks/:fileId/${action}`, async (request) => {
      requireRole(request, request.params.fileId, 'runner');
      return deps.notebooks.with(request.params.fileId, async (notebook) => {
        const kernel = notebook.kernel();
        if (action === 'interrupt') await kernel.interrupt();
        else if (action === 'restart') void kernel.restart();
        else await kernel.shutdown();
        return { status: kernel.status };
      });
    });
  }

  app.post<{ Params: RunParams }>('/api/notebooks/:fileId/executions/:id/cancel', async (request) => {
    requireRole(request, request.params.fileId, 'runner');
    await deps.notebooks.with(request.params.fileId, (notebook) => notebook.kernel().cancel(request.params.id));
    return { cancelled: request.params.id };
  });

  app.post<{ Params: RunParams; Body: { value: string } }>(
    '/api/notebooks/:fileId/executions/:id/input',
    {
      schema: {
        body: { type: 'object', required: ['value'], properties: { value: { type: 'string', maxLength: 1_000_000 } } },
      },
    },
    async (request) => {
      requireRole(request, request.params.fileId, 'runner');
      await deps.notebooks.with(request.params.fileId, (notebook) =>
        notebook.kernel().input(request.params.id, request.principal!.identity.username, request.body.value),
      );
      return { answered: request.params.id };
    },
  );

  // The whole of an output that was cut in the document.
  app.get<{ Params: { fileId: string; key: string } }>('/api/notebooks/:fileId/outputs/:key', async (request, reply) => {
    requireRole(request, request.params.fileId, 'viewer');
    const stored = deps.outputs.open(request.params.fileId, request.params.key);
    if (!stored) throw notFound('No such output');
    void reply.header('Content-Type', stored.type).header('Content-Length', String(stored.size)).header('X-Content-Type-Options', 'nosniff');
    return reply.send(stored.stream);
  });
}
