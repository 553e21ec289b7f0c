// PUT /api/collaboration/session/{path}: the handshake before joining a room, as in
// jupyter-collaboration. It gives the notebook's stable fileId and the sessionId naming its
// history's lineage, which the client then presents on the room socket.

import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { CollabSession } from '../../../common/api';
import { roleAtLeast } from '../../../common/doc-schema';
import { roleOn } from '../../auth/principal';
import type { RootPaths } from '../../contents/paths';
import type { RoomHost } from '../../notebooks/room-host';
import type { FileIdIndex } from '../../storage/file-ids';
import { requireRole } from '../auth';
import { badRequest, notFound } from '../errors';

export function collaborationRoutes(
  app: FastifyInstance,
  deps: { paths: RootPaths; fileIds: FileIdIndex; rooms: RoomHost; onEditorOpened(fileId: string): void },
): void {
  app.put<{ Params: { '*': string }; Body: { format: string; type: string }; Reply: CollabSession }>(
    '/api/collaboration/session/*',
    {
      schema: {
        body: {
          type: 'object',
          required: ['format', 'type'],
          properties: { format: { type: 'string' }, type: { type: 'string' } },
        },
      },
    },
    async (request) => {
      const { format, type } = request.body;
      if (format !== 'json' || type !== 'notebook') {
        throw badRequest('Tandem collaborates on notebooks: use {format: "json", type: "notebook"}');
      }
      const { apiPath, absolute } = deps.paths.resolve(request.params['*']);
      const known = deps.fileIds.idOf(apiPath);
      if (request.principal?.kind !== 'owner') requireRole(request, known, 'viewer');
      const info = await stat(absolute).catch(() => undefined);
      if (!info?.isFile() || !apiPath.endsWith('.ipynb')) throw notFound(`No such notebook: ${apiPath}`);
      const fileId = known ?? deps.fileIds.ensure(apiPath);
      // Loaded now, so that joining finds it warm; if nobody joins after all, it unloads after its grace period.
      const room = await deps.rooms.openRoom(fileId);
      room.release();
      const sessionId = room.sessionId;
      if (roleAtLeast(roleOn(request.principal!, fileId), 'editor')) deps.onEditorOpened(fileId);
      return { format: 'json', type: 'notebook', fileId, sessionId };
    },
  );
}
