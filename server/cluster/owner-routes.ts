// The HTTP side of cluster mode. Requests about one notebook (/api/notebooks/{fileId}/...:
// runs, interrupts, inputs, SQL cells, versions, environment; and the contents API on an open
// notebook's path) are carried out by its owner: a replica that does not own the notebook
// forwards them there as they came (headers, cookies and body), after authenticating them
// itself, and passes the answer back. And an owner serves its copy of a notebook to a replica
// that starts relaying it.

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unavailable } from '../errors';
import { requireOwner } from '../http/auth';
import type { Cluster } from './cluster';

const NOTEBOOK_URL = /^\/api\/notebooks\/([0-9a-f-]{36})\//;
/** A notebook in the contents API, or its checkpoints: /api/contents/{path}.ipynb[/checkpoints[/{id}]]. */
const CONTENTS_URL = /^\/api\/contents\/([^?]+?\.ipynb)(?:\/checkpoints(?:\/[^/?]*)?)?(?:\?|$)/;
/** Marks a request one replica forwarded to another: it is served where it lands, never forwarded again. */
const FORWARDED = 'x-tandem-forwarded-by';
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

function strip(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept = { ...headers };
  for (const name of HOP_BY_HOP) delete kept[name];
  return kept;
}

function forward(request: FastifyRequest, ownerUrl: string, replicaId: string): Promise<IncomingMessage> {
  const target = new URL(ownerUrl);
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        // Host and Origin stay the client's: the owner checks them as the first replica did.
        headers: { ...strip(request.headers), [FORWARDED]: replicaId },
      },
      resolve,
    );
    upstream.on('error', () => reject(unavailable('The server that runs this notebook could not be reached; try again in a few seconds')));
    request.raw.pipe(upstream);
  });
}

/**
 * The notebook a request is about, if it is one the owner must serve. An open notebook's
 * contents are its live document, which only the owner holds: a replica reading the file
 * instead would answer with what was last saved, and one saving over it would bypass the room.
 */
function notebookOf(url: string, fileIdOfPath: (path: string) => string | undefined): string | undefined {
  const notebook = NOTEBOOK_URL.exec(url);
  if (notebook) return notebook[1];
  const contents = CONTENTS_URL.exec(url);
  if (!contents) return undefined;
  try {
    return fileIdOfPath(decodeURIComponent(contents[1]));
  } catch {
    return undefined; // A path the contents API refuses: it says why, here.
  }
}

export function clusterRoutes(app: FastifyInstance, cluster: Cluster, fileIdOfPath: (path: string) => string | undefined): void {
  // After authentication (registered later than its hook), before the body is read: the body
  // streams through to the owner unparsed.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.principal || request.headers[FORWARDED] !== undefined) return;
    const fileId = notebookOf(request.url, fileIdOfPath);
    if (!fileId) return;
    const route = await cluster.route(fileId);
    if (route.kind === 'local') return;
    if (route.kind === 'lost') throw unavailable('The server that runs this notebook stopped; another takes it over within seconds. Try again.');
    const response = await forward(request, route.url, cluster.replicaId);
    reply.code(response.statusCode ?? 502).headers(strip(response.headers));
    return reply.send(response);
  });

  app.get<{ Params: { fileId: string } }>('/api/cluster/notebooks/:fileId/state', async (request, reply) => {
    requireOwner(request);
    const { state, sessionId, position } = await cluster.ownerState(request.params.fileId);
    return reply
      .header('content-type', 'application/octet-stream')
      .header('x-tandem-session-id', sessionId)
      .header('x-tandem-log-position', position)
      .send(Buffer.from(state.buffer, state.byteOffset, state.byteLength));
  });
}
