// The HTTP side of cluster mode. Requests about one notebook are carried out by its owner: a
// replica that does not own the notebook forwards them there as they came (headers, cookies,
// body; a WebSocket upgrade too), after authenticating them itself, and passes the answer
// back. That covers /api/notebooks/{fileId}/..., the contents API on an open notebook (its
// live document is the owner's: the file may be seconds behind, and a save must go through
// the room), and in the Jupyter kernel API a notebook's kernel (its id is the notebook's
// fileId) and a new session on a notebook. Sessions and
// standalone kernels live on the replica that made them; another replica asked about one it
// does not have finds it by asking the others, and so do running jobs. An owner also serves its copy of a notebook to
// a replica that starts relaying it.

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RootPaths } from '../contents/paths';
import { unavailable } from '../errors';
import { requireOwner } from '../http/auth';
import type { JobService } from '../jobs/job-service';
import type { JupyterApi } from '../jupyter';
import type { FileIdIndex } from '../storage/file-ids';
import type { Cluster } from './cluster';

const NOTEBOOK_URL = /^\/api\/notebooks\/([0-9a-f-]{36})\//;
/** A notebook in the contents API, or its checkpoints: /api/contents/{path}.ipynb[/checkpoints[/{id}]]. */
const CONTENTS_URL = /^\/api\/contents\/([^?]+?\.ipynb)(?:\/checkpoints(?:\/[^/?]*)?)?(?:\?|$)/;
const KERNEL_URL = /^\/api\/kernels\/([^/?]+)/;
const SESSION_URL = /^\/api\/sessions\/([^/?]+)/;
const JOB_URL = /^\/api\/jobs\/([^/?]+)/;
/** Marks a request one replica forwarded to another: it is served where it lands, never forwarded again. */
const FORWARDED = 'x-tandem-forwarded-by';
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];
const PROBE_TIMEOUT_MS = 3000;
const RETRY_MS = 250;
/** Bodies up to this size are read before forwarding, so that a request can wait out a failover. */
const RETRYABLE_BODY_BYTES = 1024 * 1024;
const GONE_MESSAGE = 'The server that runs this notebook stopped, and no other has taken it over yet; try again in a few seconds';

/** The notebook's owner is gone and its lease has not lapsed: another replica takes over soon. */
class OwnerGone extends Error {}
const GONE = Symbol('owner gone');

function waitOrThrow(error: unknown): typeof GONE {
  if (error instanceof OwnerGone) return GONE;
  throw error;
}

/** The whole body when it is small enough to send again; undefined otherwise (it then streams once). */
async function smallBody(request: FastifyRequest): Promise<Buffer | undefined> {
  const length = Number(request.headers['content-length'] ?? (request.headers['transfer-encoding'] ? Number.NaN : 0));
  if (!Number.isFinite(length) || length > RETRYABLE_BODY_BYTES) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of request.raw) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ClusterRouteDeps {
  fileIds: FileIdIndex;
  paths: RootPaths;
  jupyter: JupyterApi;
  jobs: JobService;
}

function strip(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept = { ...headers };
  for (const name of HOP_BY_HOP) delete kept[name];
  return kept;
}

function forward(request: FastifyRequest, ownerUrl: string, replicaId: string, body?: string | Buffer): Promise<IncomingMessage> {
  const target = new URL(ownerUrl);
  const headers = { ...strip(request.headers), [FORWARDED]: replicaId };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    // Host and Origin stay the client's: the owner checks them as the first replica did.
    const upstream = httpRequest({ hostname: target.hostname, port: target.port, method: request.method, path: request.url, headers }, resolve);
    upstream.on('error', () => reject(unavailable('The server that runs this notebook could not be reached; try again in a few seconds')));
    if (body !== undefined) upstream.end(body);
    else request.raw.pipe(upstream);
  });
}

async function relayAnswer(reply: FastifyReply, response: IncomingMessage): Promise<FastifyReply> {
  reply.code(response.statusCode ?? 502).headers(strip(response.headers));
  return reply.send(response);
}

/** Passes a WebSocket upgrade through to another replica, bytes both ways, for as long as both ends stay. */
function tunnel(request: FastifyRequest, reply: FastifyReply, ownerUrl: string, replicaId: string): void {
  const target = new URL(ownerUrl);
  void reply.hijack();
  const client = request.raw.socket;
  const upstream = connect(Number(target.port), target.hostname, () => {
    const lines = [`${request.method} ${request.url} HTTP/1.1`];
    for (let i = 0; i < request.raw.rawHeaders.length; i += 2) lines.push(`${request.raw.rawHeaders[i]}: ${request.raw.rawHeaders[i + 1]}`);
    lines.push(`${FORWARDED}: ${replicaId}`, '', '');
    upstream.write(lines.join('\r\n'));
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
}

export function clusterRoutes(app: FastifyInstance, cluster: Cluster, deps: ClusterRouteDeps): void {
  /** Where a request should be served: undefined here, or the URL of the replica to forward it to. */
  const placement = async (request: FastifyRequest): Promise<string | undefined> => {
    const url = request.url;
    const notebook = NOTEBOOK_URL.exec(url);
    if (notebook) return ownerOf(notebook[1]);
    const contents = CONTENTS_URL.exec(url);
    if (contents) {
      let fileId: string | undefined;
      try {
        fileId = deps.fileIds.idOf(deps.paths.resolve(decodeURIComponent(contents[1])).apiPath);
      } catch {
        return undefined; // A path the contents API refuses: it says why, here.
      }
      return fileId === undefined ? undefined : ownerOf(fileId);
    }
    const kernel = KERNEL_URL.exec(url);
    if (kernel) {
      const id = decodeURIComponent(kernel[1]);
      // A notebook's kernel runs on the notebook's owner.
      if (deps.fileIds.pathOf(id) !== undefined) return ownerOf(id);
      return deps.jupyter.standalone.get(id) ? undefined : locate(request, `/api/kernels/${encodeURIComponent(id)}`);
    }
    const session = SESSION_URL.exec(url);
    if (session) {
      const id = decodeURIComponent(session[1]);
      return deps.jupyter.sessions.has(id) ? undefined : locate(request, `/api/sessions/${encodeURIComponent(id)}`);
    }
    // A running job is known only to the replica that runs it (its record, once stored, to all).
    const job = JOB_URL.exec(url);
    if (job) {
      const id = decodeURIComponent(job[1]);
      return (await deps.jobs.has(id)) ? undefined : locate(request, `/api/jobs/${encodeURIComponent(id)}`);
    }
    return undefined;
  };

  const ownerOf = async (fileId: string): Promise<string | undefined> => {
    const route = await cluster.route(fileId);
    if (route.kind === 'local') return undefined;
    if (route.kind === 'lost') throw new OwnerGone();
    return route.url;
  };

  /** The replica that has a session or standalone kernel: the first that does not answer 404. */
  const locate = async (request: FastifyRequest, path: string): Promise<string | undefined> => {
    for (const url of await cluster.otherReplicaUrls()) {
      const answer = await fetch(`${url}${path}`, {
        headers: {
          ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
          cookie: request.headers.cookie ?? '',
          [FORWARDED]: cluster.replicaId,
        },
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      }).catch(() => undefined);
      if (answer && answer.status !== 404) return url;
    }
    return undefined;
  };

  // After authentication (registered later than its hook), before the body is read. While a
  // notebook changes owner (its owner died, and its lease has not lapsed yet, or the new owner
  // is loading it), a request waits for the new owner instead of failing: a person pressing
  // Shift-Enter then sees a pause, not an error. To be sent again, a small body is read first;
  // a large one (an upload) streams through once.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.principal || request.headers[FORWARDED] !== undefined) return;
    let target = await placement(request).catch(waitOrThrow);
    if (target === undefined) return;
    if (request.headers.upgrade !== undefined) {
      if (target === GONE) throw unavailable(GONE_MESSAGE);
      tunnel(request, reply, target, cluster.replicaId);
      return reply;
    }
    const body = await smallBody(request);
    const deadline = Date.now() + cluster.failoverWaitMs;
    for (;;) {
      if (target !== GONE) {
        try {
          return await relayAnswer(reply, await forward(request, target, cluster.replicaId, body));
        } catch (error) {
          if (body === undefined || Date.now() > deadline) throw error;
        }
      }
      if (Date.now() > deadline) throw unavailable(GONE_MESSAGE);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      // The body is read already: served here after all, it goes through this replica's own
      // address like any forwarded request.
      target = (await placement(request).catch(waitOrThrow)) ?? cluster.address;
    }
  });

  // A new session on a notebook is made where the notebook's kernel runs; its path is in the body.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/api/sessions' || request.headers[FORWARDED] !== undefined) return;
    const body = request.body as { path?: unknown; name?: unknown } | undefined;
    const path = typeof body?.path === 'string' ? body.path : typeof body?.name === 'string' ? body.name : undefined;
    if (path === undefined) return;
    let fileId: string | undefined;
    try {
      fileId = deps.fileIds.idOf(deps.paths.resolve(path).apiPath);
    } catch {
      return; // A bad path gets its error from the route itself.
    }
    const target = fileId && (await ownerOf(fileId));
    if (!target) return;
    return relayAnswer(reply, await forward(request, target, cluster.replicaId, JSON.stringify(request.body)));
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
