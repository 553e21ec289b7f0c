// Schedules: viewers read a notebook's schedule and its next run times; editors set, remove
// and publish it (a reader link to the schedule's report, which each good run refreshes). With
// --scheduler-clock manual, the owner drives the clock (POST /api/scheduler/tick), for tests.

import type { FastifyInstance } from 'fastify';
import type { Published, ScheduleInfo, ScheduleSpec } from '../../../common/api';
import type { ShareStore } from '../../auth/shares';
import { checkSchedule, writeSchedule } from '../../jobs/schedule';
import type { Scheduler } from '../../jobs/scheduler';
import type { OpenNotebooks } from '../../notebooks/open-notebooks';
import { requireOwner, requirePrincipal, requireRole } from '../auth';
import { badRequest } from '../errors';
import { reportUrl } from './reports';

type FileParams = { fileId: string };

export interface ScheduleRouteDeps {
  scheduler: Scheduler;
  notebooks: OpenNotebooks;
  shares: ShareStore;
  manualClock: boolean;
}

export function scheduleRoutes(app: FastifyInstance, deps: ScheduleRouteDeps): void {
  app.get<{ Params: FileParams; Reply: ScheduleInfo }>('/api/notebooks/:fileId/schedule', async (request) => {
    requireRole(request, request.params.fileId, 'viewer');
    return deps.scheduler.info(request.params.fileId);
  });

  app.put<{ Params: FileParams; Body: ScheduleSpec; Reply: ScheduleInfo }>('/api/notebooks/:fileId/schedule', async (request) => {
    requireRole(request, request.params.fileId, 'editor');
    const spec = checkSchedule(request.body);
    const { fileId } = request.params;
    await deps.notebooks.with(fileId, (notebook) => writeSchedule(notebook.room, spec));
    deps.scheduler.set(fileId, spec);
    return deps.scheduler.info(fileId);
  });

  app.delete<{ Params: FileParams }>('/api/notebooks/:fileId/schedule', async (request, reply) => {
    requireRole(request, request.params.fileId, 'editor');
    const { fileId } = request.params;
    await deps.notebooks.with(fileId, (notebook) => writeSchedule(notebook.room, undefined));
    deps.scheduler.set(fileId, undefined);
    void reply.status(204);
  });

  app.post<{ Params: FileParams; Reply: Published }>('/api/notebooks/:fileId/schedule/publish', async (request, reply) => {
    const principal = requirePrincipal(request);
    const { fileId } = request.params;
    requireRole(request, fileId, 'editor');
    const { reportId } = deps.scheduler.info(fileId);
    const { token } = deps.shares.create(fileId, 'reader', principal.identity.username, reportId);
    void reply.status(201);
    return { url: reportUrl(request, reportId, token), token };
  });

  if (deps.manualClock) {
    app.post<{ Body: { at?: number }; Reply: { started: string[] } }>('/api/scheduler/tick', async (request) => {
      requireOwner(request);
      const at = request.body?.at;
      if (typeof at !== 'number' || !Number.isFinite(at)) throw badRequest('Give the time to tick to: {at: epoch milliseconds}');
      return { started: deps.scheduler.tick(at) };
    });
  }
}
