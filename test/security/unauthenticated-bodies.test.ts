// A request without a token is refused before its body is read: a stranger streaming a
// large upload must not make the server hold it. And bodies are sized per route: only saving
// a file takes a large one.

import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeNotebook } from '../helpers/notebooks';
import { MB, rssOf } from '../helpers/process-memory';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;

beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server.stop();
});

/**
 * Streams `total` bytes as the body of a request, whatever the server answers meanwhile, and
 * resolves with the status it answered (or the error that ended the upload).
 */
function upload(method: string, path: string, total: number, headers: Record<string, string> = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(MB, 'a'.charCodeAt(0));
    let status: number | undefined;
    let sent = 0;
    const req = request(`${server.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'content-length': String(total), ...headers },
    });
    req.on('response', (response) => {
      status = response.statusCode;
      response.resume();
    });
    const finish = (outcome: number | string) => {
      resolve(outcome);
      req.destroy();
    };
    req.on('error', (error: NodeJS.ErrnoException) => finish(status ?? error.code ?? String(error)));
    const pump = () => {
      while (sent < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
      // The whole body went out: wait for the answer.
      const settle = () => finish(status ?? 'no answer');
      if (status !== undefined) settle();
      else req.once('response', () => setImmediate(settle));
    };
    pump();
  });
}

/** Sends only the headers of a request that declares `bytes` of body, and resolves with the status. */
function declaredOnly(method: string, path: string, bytes: number, token: string | null = server.token): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${server.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'content-length': String(bytes), ...(token ? { authorization: `token ${token}` } : {}) },
    });
    req.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 'no status');
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
    req.flushHeaders();
  });
}

test('a 150 MB body without a token gets 401 and the server does not hold it', async () => {
  const pid = server.process.pid!;
  const before = rssOf(pid);
  const outcomes = await Promise.all([
    upload('PUT', '/api/contents/huge.ipynb', 150 * MB),
    upload('POST', '/api/notebooks/00000000-0000-0000-0000-000000000000/execute', 150 * MB),
  ]);
  // The answer is 401; if the server closed the connection after answering, the upload ends
  // with a reset instead, which is also a refusal.
  for (const outcome of outcomes) expect([401, 'ECONNRESET', 'EPIPE']).toContain(outcome);
  // Which of the two a streaming client sees is a race; the answer itself is 401 before any byte is read.
  expect(await declaredOnly('PUT', '/api/contents/huge.ipynb', 150 * MB, null)).toBe(401);
  const grown = rssOf(pid) - before;
  // Reading either body would cost at least 150 MB (300 as a JS string); generous headroom.
  expect(grown).toBeLessThan(60 * MB);
  // Still serving.
  expect((await server.api('GET', '/api/status')).status).toBe(200);
});

test('the open routes still answer without a token; the others say 401 with a reason', async () => {
  expect((await server.api('GET', '/api/status', undefined, null)).status).toBe(200);
  expect((await server.api('GET', '/api', undefined, null)).status).toBe(200);
  const refused = await server.api('POST', '/api/shares', { path: 'x.ipynb', role: 'viewer' }, null);
  expect(refused.status).toBe(401);
  expect((await refused.json()).reason).toBeDefined();
});

test('only saving a file takes a large body; other routes refuse one with 413', async () => {
  const big = 'x'.repeat(5 * MB);
  const saved = await server.api('PUT', '/api/contents/big.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 'a', source: big }]),
  });
  expect(saved.status).toBe(201);
  // The size is judged from Content-Length before any of the body is read, so the answer comes
  // with nothing sent (a client still writing would race the server closing the socket: EPIPE).
  expect(await declaredOnly('PATCH', '/api/me', 5 * MB)).toBe(413);
  const listed = await server.api('GET', '/api/contents/big.ipynb');
  expect((await listed.json()).content.cells[0].source).toHaveLength(5 * MB);
});
