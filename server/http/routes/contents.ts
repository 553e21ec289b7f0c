// The Jupyter Server contents API under the root, and raw file downloads. Share links reach
// only their own notebook: reading it from viewer up, saving it from editor up.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Share, ShareStore } from '../../auth/shares';
import type { Checkpoints } from '../../contents/checkpoints';
import type { ContentFormat, ContentsService, ContentType, SaveBody } from '../../contents/contents-service';
import type { RootPaths } from '../../contents/paths';
import type { FileIdIndex } from '../../storage/file-ids';
import { requireOwner, requireRole } from '../auth';
import { CONTENTS_BODY_LIMIT } from '../body-limits';
import { badRequest, notFound } from '../errors';
import { handleCheckpoints } from './checkpoints';

export interface ContentsRouteDeps {
  contents: ContentsService;
  paths: RootPaths;
  fileIds: FileIdIndex;
  shares: ShareStore;
  checkpoints: Checkpoints;
  onSharesRemoved(shares: Share[]): void;
}

type PathParams = { '*': string };

const TYPES = ['notebook', 'file', 'directory'];
const FORMATS = ['json', 'text', 'base64'];

export function contentsRoutes(app: FastifyInstance, deps: ContentsRouteDeps): void {
  const fileIdOf = (raw: string) => deps.fileIds.idOf(deps.paths.resolve(raw).apiPath);

  /** Owners read anything; a share reads only its own notebook. */
  const canRead = (request: FastifyRequest, raw: string) => {
    if (request.principal?.kind === 'owner') return;
    requireRole(request, fileIdOf(raw), 'viewer');
  };

  /** Saving: a notebook from editor up, anything else only by the owner (as PUT). */
  const canWrite = (request: FastifyRequest, raw: string) => {
    if (raw.endsWith('.ipynb') && request.principal?.kind !== 'owner') requireRole(request, fileIdOf(raw), 'editor');
    else requireOwner(request);
  };
  const checkpoints = (request: FastifyRequest, reply: FastifyReply) =>
    handleCheckpoints(deps.checkpoints, { canRead, canWrite }, (request.params as Partial<PathParams>)['*'] ?? '', request, reply);

  const getHandler = async (request: FastifyRequest<{ Params: PathParams; Querystring: Record<string, string> }>, reply: FastifyReply) => {
    const checkpointReply = await checkpoints(request, reply);
    if (checkpointReply !== undefined) return checkpointReply;
    const raw = request.params['*'] ?? '';
    canRead(request, raw);
    const { content, type, format } = request.query;
    if (type !== undefined && !TYPES.includes(type)) throw badRequest(`Unknown type ${type}`);
    if (format !== undefined && !FORMATS.includes(format)) throw badRequest(`Unknown format ${format}`);
    return deps.contents.get(raw, {
      content: content !== '0',
      type: type as ContentType | undefined,
      format: format as ContentFormat | undefined,
    });
  };
  app.get('/api/contents', getHandler);
  app.get('/api/contents/*', getHandler);

  app.put<{ Params: PathParams; Body: SaveBody }>(
    '/api/contents/*',
    {
      bodyLimit: CONTENTS_BODY_LIMIT,
      schema: {
        body: {
          type: 'object',
          required: ['type'],
          properties: {
            type: { type: 'string', enum: TYPES },
            format: { type: ['string', 'null'], enum: [...FORMATS, null] },
          },
        },
      },
    },
    async (request, reply) => {
      const raw = request.params['*'];
      if (request.body.type === 'notebook' && request.principal?.kind !== 'owner') {
        requireRole(request, fileIdOf(raw), 'editor');
      } else {
        requireOwner(request);
      }
      const [model, created] = await deps.contents.save(raw, request.body);
      void reply.status(created ? 201 : 200);
      return model;
    },
  );

  const createHandler = async (
    request: FastifyRequest<{ Params: Partial<PathParams>; Body: { type?: ContentType; ext?: string; copy_from?: string } | null }>,
    reply: FastifyReply,
  ) => {
    const checkpointReply = await checkpoints(request, reply);
    if (checkpointReply !== undefined) return checkpointReply;
    requireOwner(request);
    const body = request.body ?? {};
    if (body.type !== undefined && !TYPES.includes(body.type)) throw badRequest(`Unknown type ${String(body.type)}`);
    const model = await deps.contents.create(request.params['*'] ?? '', body);
    void reply.status(201);
    return model;
  };
  app.post('/api/contents', createHandler);
  app.post('/api/contents/*', createHandler);

  app.patch<{ Params: PathParams; Body: { path: string } }>(
    '/api/contents/*',
    {
      schema: {
        body: { type: 'object', required: ['path'], properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } } },
      },
    },
    async (request) => {
      requireOwner(request);
      return deps.contents.rename(request.params['*'], request.body.path);
    },
  );

  app.delete<{ Params: PathParams }>('/api/contents/*', async (request, reply) => {
    const checkpointReply = await checkpoints(request, reply);
    if (checkpointReply !== undefined) return checkpointReply;
    requireOwner(request);
    const removed = await deps.contents.remove(request.params['*']);
    const revoked = removed.flatMap((fileId) => deps.shares.list(fileId));
    deps.shares.revokeFiles(removed);
    deps.onSharesRemoved(revoked);
    void reply.status(204);
  });

  // Raw files, always as downloads: serving an uploaded .html inline from this origin
  // would let it run script as the signed-in user.
  app.get<{ Params: PathParams }>('/files/*', async (request, reply) => {
    const raw = request.params['*'] ?? '';
    canRead(request, raw);
    const { apiPath, absolute } = deps.paths.resolve(raw);
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile()) throw notFound(`No such file: ${apiPath}`);
    void reply
      .header('Content-Type', 'application/octet-stream')
      .header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(basename(apiPath))}`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', 'sandbox')
      .header('Content-Length', String(info.size));
    return reply.send(createReadStream(absolute));
  });
}
