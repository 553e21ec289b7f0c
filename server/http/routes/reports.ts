// Published reports. Publishing needs the editor role on the notebook: it shows the run's
// results to whoever gets the link. A report is read with its reader link, or by anyone who may
// view the notebook; a reader link reaches its own report only.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Published, Report } from '../../../common/api';
import { roleAtLeast } from '../../../common/doc-schema';
import { roleOn } from '../../auth/principal';
import type { JobService } from '../../jobs/job-service';
import type { Scheduler } from '../../jobs/scheduler';
import { requirePrincipal, requireRole } from '../auth';
import { notFound } from '../errors';

type JobParams = { id: string };

export function reportUrl(request: FastifyRequest, id: string, token?: string): string {
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${request.protocol}://${request.host}/reports/${encodeURIComponent(id)}${query}`;
}

export function reportRoutes(app: FastifyInstance, deps: { jobs: JobService; scheduler: Scheduler }): void {
  app.post<{ Params: JobParams; Body: { showCode?: boolean } | undefined; Reply: Published }>(
    '/api/jobs/:id/publish',
    { schema: { body: { type: ['object', 'null'], properties: { showCode: { type: 'boolean' } }, additionalProperties: false } } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const record = await deps.jobs.get(request.params.id);
      requireRole(request, record.notebook.fileId, 'editor');
      const { token } = await deps.jobs.publish(request.params.id, principal.identity.username, request.body?.showCode ?? false);
      request.log.info({ jobId: request.params.id }, 'report published');
      void reply.status(201);
      return { url: reportUrl(request, request.params.id, token), token };
    },
  );

  app.get<{ Params: JobParams; Reply: Report }>('/api/reports/:id', async (request) => {
    const principal = requirePrincipal(request);
    const { id } = request.params;
    // A schedule's report keeps its id while each good run refreshes it.
    const { fileId, report } = deps.scheduler.fileIdOfReport(id) ? await deps.scheduler.report(id) : await deps.jobs.report(id);
    const ownReport = principal.kind === 'share' && principal.share.role === 'reader' && principal.share.report === report.id;
    // Another report's reader learns nothing, not even that this one exists.
    if (!ownReport && !roleAtLeast(roleOn(principal, fileId), 'viewer')) throw notFound(`No report with id ${request.params.id}`);
    return report;
  });
}
