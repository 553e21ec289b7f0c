// Jobs: headless runs of a notebook. Starting and cancelling one needs the runner role on the
// notebook; listing a notebook's runs and reading a record need the viewer role, since a record
// holds the notebook's code.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JobParameters, JobRecord, JobStarted, JobSummary, Report } from '../../../common/api';
import type { JobMode } from '../../../common/doc-schema';
import type { JobService } from '../../jobs/job-service';
import { requirePrincipal, requireRole } from '../auth';

type FileParams = { fileId: string };
type JobParams = { id: string };

const PARAMETERS_SCHEMA = {
  type: 'object',
  maxProperties: 200,
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 100_000 },
};

function who(request: FastifyRequest) {
  const { username, name, color } = requirePrincipal(request).identity;
  return { username, name, color };
}

export function jobRoutes(app: FastifyInstance, deps: { jobs: JobService }): void {
  app.post<{ Params: FileParams; Body: { mode?: JobMode; parameters?: JobParameters }; Reply: JobStarted }>(
    '/api/notebooks/:fileId/jobs',
    {
      schema: {
        body: {
          type: 'object',
          properties: { mode: { type: 'string', enum: ['reproducible', 'live'] }, parameters: PARAMETERS_SCHEMA },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      requireRole(request, request.params.fileId, 'runner');
      const body = request.body ?? {};
      const id = await deps.jobs.start(request.params.fileId, { mode: body.mode ?? 'reproducible', parameters: body.parameters ?? {} }, who(request));
      void reply.status(201);
      return { id };
    },
  );

  app.get<{ Params: FileParams; Reply: JobSummary[] }>('/api/notebooks/:fileId/jobs', async (request) => {
    requireRole(request, request.params.fileId, 'viewer');
    return deps.jobs.list(request.params.fileId);
  });

  app.get<{ Params: JobParams; Reply: JobRecord }>('/api/jobs/:id', async (request) => {
    requirePrincipal(request);
    const record = await deps.jobs.get(request.params.id);
    requireRole(request, record.notebook.fileId, 'viewer');
    return record;
  });

  // An ended run as a read-only notebook page (code, outputs, markdown), for the Runs panel.
  app.get<{ Params: JobParams; Reply: Report }>('/api/jobs/:id/view', async (request) => {
    requirePrincipal(request);
    const { fileId, report } = await deps.jobs.view(request.params.id);
    requireRole(request, fileId, 'viewer');
    return report;
  });

  app.post<{ Params: JobParams; Reply: JobStarted }>('/api/jobs/:id/reproduce', async (request, reply) => {
    requirePrincipal(request);
    const record = await deps.jobs.get(request.params.id);
    requireRole(request, record.notebook.fileId, 'runner');
    const id = await deps.jobs.reproduce(request.params.id, who(request));
    void reply.status(201);
    return { id };
  });

  app.post<{ Params: JobParams; Reply: { status: string } }>('/api/jobs/:id/cancel', async (request, reply) => {
    requirePrincipal(request);
    const record = await deps.jobs.get(request.params.id);
    requireRole(request, record.notebook.fileId, 'runner');
    deps.jobs.cancel(request.params.id);
    void reply.status(202);
    return { status: 'cancelling' };
  });
}
