// Share links. POST /api/shares {path, role} makes a link that opens one notebook at one
// role; GET lists a notebook's links (never their tokens); DELETE revokes one and closes the
// sockets opened with it. Editors may share up to their own role; only owners see all.

import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ShareInfo, Share as ShareReply } from '../../../common/api';
import { roleAtLeast } from '../../../common/doc-schema';
import { SHARE_ROLES, type Share, type ShareRole, type ShareStore } from '../../auth/shares';
import { normaliseApiPath, type RootPaths } from '../../contents/paths';
import type { FileIdIndex } from '../../storage/file-ids';
import { requireRole } from '../auth';
import { badRequest, forbidden, notFound } from '../errors';

export interface ShareRouteDeps {
  shares: ShareStore;
  paths: RootPaths;
  fileIds: FileIdIndex;
  /** Closes the live connections that were opened with a revoked share. */
  onRevoked(share: Share): void;
}

export function notebookUrl(request: FastifyRequest, apiPath: string, token?: string): string {
  const encoded = apiPath.split('/').map(encodeURIComponent).join('/');
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${request.protocol}://${request.host}/notebooks/${encoded}${query}`;
}

function describe(share: Share, fileIds: FileIdIndex): ShareInfo {
  return {
    id: share.id,
    fileId: share.fileId,
    path: fileIds.pathOf(share.fileId) ?? null,
    role: share.role,
    createdAt: share.createdAt,
  };
}

export function shareRoutes(app: FastifyInstance, deps: ShareRouteDeps): void {
  app.post<{ Body: { path: string; role: ShareRole }; Reply: ShareReply }>(
    '/api/shares',
    {
      schema: {
        body: {
          type: 'object',
          required: ['path', 'role'],
          properties: {
            path: { type: 'string', minLength: 1, maxLength: 4096 },
            role: { type: 'string', enum: [...SHARE_ROLES] },
          },
        },
      },
    },
    async (request, reply) => {
      // The role first, from the id the path already has (if any), before the file system is
      // asked anything: a link holder learns nothing about notebooks beyond its own, and a
      // refused request records no file id.
      const callerRole = requireRole(request, deps.fileIds.idOf(normaliseApiPath(request.body.path)), 'editor');
      const { apiPath, absolute } = deps.paths.resolve(request.body.path);
      if (!apiPath.endsWith('.ipynb')) throw badRequest('Only notebooks can be shared');
      const info = await stat(absolute).catch(() => undefined);
      if (!info?.isFile()) throw notFound(`No such notebook: ${apiPath}`);
      const fileId = deps.fileIds.idOf(apiPath) ?? deps.fileIds.ensure(apiPath);
      if (!roleAtLeast(callerRole, request.body.role)) throw forbidden(`You cannot share beyond your own role (${callerRole})`);
      const { share, token } = deps.shares.create(fileId, request.body.role, request.principal!.identity.username);
      request.log.info({ shareId: share.id, fileId, role: share.role }, 'share link created');
      void reply.status(201);
      return { ...describe(share, deps.fileIds), token, url: notebookUrl(request, apiPath, token) };
    },
  );

  app.get<{ Querystring: { path?: string }; Reply: ShareInfo[] }>('/api/shares', async (request) => {
    if (!request.query.path) throw badRequest('Give the notebook path: /api/shares?path=...');
    const { apiPath } = deps.paths.resolve(request.query.path);
    const fileId = deps.fileIds.idOf(apiPath);
    requireRole(request, fileId, 'editor');
    return fileId ? deps.shares.list(fileId).map((share) => describe(share, deps.fileIds)) : [];
  });

  app.delete<{ Params: { id: string } }>('/api/shares/:id', async (request, reply) => {
    const share = deps.shares.get(request.params.id);
    if (!share) throw notFound('No such share link');
    requireRole(request, share.fileId, 'editor');
    deps.shares.revoke(share.id);
    deps.onRevoked(share);
    request.log.info({ shareId: share.id }, 'share link revoked');
    void reply.status(204);
  });
}
