// The checkpoints endpoints, /api/contents/{path}/checkpoints[/{id}]. They share their prefix
// with the contents API's wildcard routes, so those hand matching requests here first, as
// Jupyter Server's own routing tries checkpoints before contents.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Checkpoints } from '../../contents/checkpoints';
import { badRequest } from '../errors';

const CHECKPOINT_PATH = /^(.+?)\/checkpoints(?:\/([^/]+))?\/?$/;

export interface CheckpointAccess {
  canRead(request: FastifyRequest, raw: string): void;
  canWrite(request: FastifyRequest, raw: string): void;
}

/** Answers the request if it is for checkpoints; undefined if it is for the contents API. */
export async function handleCheckpoints(
  checkpoints: Checkpoints,
  access: CheckpointAccess,
  raw: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const match = CHECKPOINT_PATH.exec(raw);
  if (!match) return undefined;
  const [, path, id] = match;
  if (request.method === 'GET' && id === undefined) {
    access.canRead(request, path);
    return checkpoints.list(path);
  }
  access.canWrite(request, path);
  if (request.method === 'POST' && id === undefined) {
    void reply.status(201).header('Location', `/api/contents/${path}/checkpoints/checkpoint`);
    return checkpoints.create(path);
  }
  if (request.method === 'POST') await checkpoints.restore(path, id);
  else if (request.method === 'DELETE') await checkpoints.remove(path, id);
  else throw badRequest(`${request.method} is not a checkpoints request`);
  return reply.status(204).send();
}
