// Snapshots of SQL cells, and the choice of which one a cell uses. A snapshot follows the roles
// of the notebook it was made for: viewers and up read it; editors pin another; runners can
// ask a cell to query again. A link to another notebook finds nothing here.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as Y from 'yjs';
import type { ExecuteReply, Snapshot, SnapshotList } from '../../../common/api';
import { roleAtLeast } from '../../../common/doc-schema';
import { roleOn } from '../../auth/principal';
import type { OpenNotebook } from '../../notebooks/open-notebook';
import type { OpenNotebooks } from '../../notebooks/open-notebooks';
import { findCell, setPin } from '../../queries/cell-pins';
import type { SnapshotMeta } from '../../queries/snapshots/snapshot';
import type { SnapshotStore } from '../../queries/snapshots/snapshot-store';
import { isSqlCell } from '../../queries/sql-cell';
import type { SqlCells } from '../../queries/sql-cells';
import { requirePrincipal, requireRole } from '../auth';
import { badRequest, notFound } from '../errors';
import { AFTER_SCHEMA, parseAfter } from '../state-vector-param';

export interface QueryRouteDeps {
  store: SnapshotStore;
  sqlCells: SqlCells;
  notebooks: OpenNotebooks;
}

const ID_PARAM = { type: 'string', maxLength: 128 } as const;

/** The snapshot, if the caller may read its notebook; otherwise as if it did not exist. */
async function readable(request: FastifyRequest, store: SnapshotStore, id: string): Promise<SnapshotMeta> {
  const principal = requirePrincipal(request);
  const meta = await store.get(id);
  if (!meta || !roleAtLeast(roleOn(principal, meta.notebook), 'viewer')) throw notFound('No such snapshot');
  return meta;
}

export function queryRoutes(app: FastifyInstance, deps: QueryRouteDeps): void {
  app.get<{ Querystring: { notebook: string; cell?: string; limit?: number }; Reply: SnapshotList }>(
    '/api/snapshots',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['notebook'],
          properties: {
            notebook: ID_PARAM,
            cell: { type: 'string', maxLength: 256 },
            // Newest first; a live notebook gathers snapshots on every run.
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            token: { type: 'string' },
          },
        },
      },
    },
    async (request) => {
      requireRole(request, request.query.notebook, 'viewer');
      const all = await deps.store.list(request.query.notebook, request.query.cell);
      return { snapshots: all.slice(0, request.query.limit ?? 100), total: all.length };
    },
  );

  app.get<{ Params: { id: string }; Reply: Snapshot }>('/api/snapshots/:id', async (request) => readable(request, deps.store, request.params.id));

  app.get<{ Params: { id: string } }>('/api/snapshots/:id/data', async (request, reply) => {
    const meta = await readable(request, deps.store, request.params.id);
    const stream = await deps.store.openData(meta);
    void reply
      .header('Content-Type', 'application/vnd.apache.arrow.stream')
      .header('Content-Length', String(meta.bytes))
      .header('Content-Disposition', `attachment; filename="${meta.id}.arrows"`)
      .header('Cache-Control', 'private, max-age=31536000, immutable')
      .header('X-Content-Type-Options', 'nosniff');
    return reply.send(stream);
  });

  type CellParams = { fileId: string; cellId: string };

  // Pins another of the cell's snapshots: the next run loads it (in a reproducible notebook).
  app.post<{ Params: CellParams; Body: { snapshotId: string } }>(
    '/api/notebooks/:fileId/cells/:cellId/snapshot',
    {
      schema: {
        body: { type: 'object', required: ['snapshotId'], additionalProperties: false, properties: { snapshotId: { type: 'string', maxLength: 64 } } },
      },
    },
    async (request) => {
      requireRole(request, request.params.fileId, 'editor');
      const meta = await deps.store.get(request.body.snapshotId);
      if (!meta || meta.notebook !== request.params.fileId) throw notFound('No such snapshot in this notebook');
      if (meta.cellId !== request.params.cellId) throw badRequest("That snapshot was made by another cell; pin one of this cell's snapshots");
      return withSqlCell(deps, request, (notebook, by) => {
        setPin(notebook.room, request.params.cellId, meta.id);
        notebook.listener(deps.sqlCells).pinned(request.params.cellId, meta, by);
        return { pinned: meta.id };
      });
    },
  );

  // Unpins: the next run queries again and pins its result.
  app.delete<{ Params: CellParams }>('/api/notebooks/:fileId/cells/:cellId/snapshot', async (request) => {
    requireRole(request, request.params.fileId, 'editor');
    return withSqlCell(deps, request, (notebook, by) => {
      setPin(notebook.room, request.params.cellId, undefined);
      notebook.listener(deps.sqlCells).pinned(request.params.cellId, undefined, by);
      return { pinned: null };
    });
  });

  // Runs the cell once with a fresh query, re-pinning its result, whatever is pinned.
  app.post<{ Params: CellParams; Body: { after?: string } | null; Reply: ExecuteReply }>(
    '/api/notebooks/:fileId/cells/:cellId/refresh',
    { schema: { body: { type: ['object', 'null'], properties: { after: AFTER_SCHEMA } } } },
    async (request, reply) => {
      requireRole(request, request.params.fileId, 'runner');
      const after = parseAfter(request.body?.after);
      const { fileId, cellId } = request.params;
      const { identity } = requirePrincipal(request);
      const result = await deps.notebooks.with(fileId, async (notebook) => {
        const cell = findCell(notebook.room.doc, cellId);
        if (!cell) throw notFound(`No cell with id ${cellId} in this notebook`);
        if (!isSqlCell(sourceOf(cell))) throw badRequest('Only a SQL cell (one starting with %%sql) can be refreshed');
        const sqlCells = notebook.listener(deps.sqlCells);
        sqlCells.requestRefresh(cellId);
        try {
          return await notebook.kernel().execute([cellId], { username: identity.username, name: identity.name, color: identity.color }, after);
        } finally {
          sqlCells.dropRefresh(cellId);
        }
      });
      void reply.status(202);
      return result;
    },
  );
}

function sourceOf(cell: Y.Map<unknown>): string {
  const source = cell.get('source');
  return source instanceof Y.Text ? source.toString() : typeof source === 'string' ? source : '';
}

async function withSqlCell<T>(
  deps: QueryRouteDeps,
  request: FastifyRequest<{ Params: { fileId: string; cellId: string } }>,
  change: (notebook: OpenNotebook, by: { username: string; name: string; color: string }) => T,
): Promise<T> {
  const { fileId, cellId } = request.params;
  return deps.notebooks.with(fileId, (notebook) => {
    const cell = findCell(notebook.room.doc, cellId);
    if (!cell) throw notFound(`No cell with id ${cellId} in this notebook`);
    if (!isSqlCell(sourceOf(cell))) throw badRequest('Only a SQL cell (one starting with %%sql) has snapshots');
    const { identity } = requirePrincipal(request);
    return change(notebook, { username: identity.username, name: identity.name, color: identity.color });
  });
}
