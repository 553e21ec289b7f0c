// Version history of a notebook. Viewers and up browse it; editors restore. A link to another
// notebook reaches none of it, and an unknown version is 404.

import type { FastifyInstance } from 'fastify';
import type { VersionContent, VersionCreated, VersionInfo, VersionRestored } from '../../../common/api';
import type { NotebookExtension } from '../../notebooks/notebook-extension';
import type { OpenNotebooks } from '../../notebooks/open-notebooks';
import type { NotebookVersions } from '../../versions/notebook-versions';
import { requirePrincipal, requireRole } from '../auth';

export interface VersionRouteDeps {
  notebooks: OpenNotebooks;
  versions: NotebookExtension<NotebookVersions>;
}

type FileParams = { fileId: string };
type VersionParams = { fileId: string; id: string };

const MAX_LABEL = 200;

export function versionRoutes(app: FastifyInstance, deps: VersionRouteDeps): void {
  const withVersions = <T>(fileId: string, use: (versions: NotebookVersions) => Promise<T>): Promise<T> =>
    deps.notebooks.with(fileId, (notebook) => use(notebook.listener(deps.versions)));

  app.get<{ Params: FileParams; Reply: VersionInfo[] }>('/api/notebooks/:fileId/versions', async (request) => {
    requireRole(request, request.params.fileId, 'viewer');
    const versions = await withVersions(request.params.fileId, (v) => v.list());
    return versions.map(({ id, createdAt, authors, label, reason }) => ({ id, createdAt, authors, label, reason }));
  });

  app.post<{ Params: FileParams; Body: { label?: string | null } | undefined; Reply: VersionCreated }>(
    '/api/notebooks/:fileId/versions',
    {
      schema: {
        body: {
          type: ['object', 'null'],
          properties: { label: { type: ['string', 'null'], maxLength: MAX_LABEL } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      requireRole(request, request.params.fileId, 'editor');
      const label = request.body?.label?.trim() || null;
      const made = await withVersions(request.params.fileId, (v) => v.save(label));
      void reply.status(201);
      return { id: made.id };
    },
  );

  app.get<{ Params: VersionParams; Reply: VersionContent }>('/api/notebooks/:fileId/versions/:id', async (request) => {
    requireRole(request, request.params.fileId, 'viewer');
    const content = await withVersions(request.params.fileId, (v) => v.content(request.params.id));
    return { id: request.params.id, content };
  });

  app.post<{ Params: VersionParams; Body: { cellIds?: string[] } | undefined; Reply: VersionRestored }>(
    '/api/notebooks/:fileId/versions/:id/restore',
    {
      schema: {
        body: {
          type: ['object', 'null'],
          properties: { cellIds: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', maxLength: 256 } } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      requireRole(request, request.params.fileId, 'editor');
      const by = requirePrincipal(request).identity;
      return withVersions(request.params.fileId, (v) => v.restore(request.params.id, request.body?.cellIds, by));
    },
  );
}
