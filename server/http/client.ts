// Serves the browser client (built by Vite into client/dist): its assets under /assets/, and
// its single page for /, /tree/... and /notebooks/... . Pages carry a Content-Security-Policy
// so that nothing injected into the app's origin can run script.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const DIST = fileURLToPath(new URL('../../client/dist/', import.meta.url));

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Tandem</title>
<p>The Tandem client has not been built yet. Run <code>npm run build</code> (or <code>npm install</code>) and reload.</p>`;

export async function registerClient(app: FastifyInstance): Promise<void> {
  const built = existsSync(`${DIST}index.html`);
  if (built) {
    await app.register(fastifyStatic, {
      root: `${DIST}assets`,
      prefix: '/assets/',
      immutable: true,
      maxAge: '365d',
      decorateReply: false,
    });
  }
  const page = (reply: FastifyReply) => {
    // Read per request while developing is cheap, and lets a rebuild show without restart.
    const html = built && existsSync(`${DIST}index.html`) ? readFileSync(`${DIST}index.html`, 'utf8') : NOT_BUILT;
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-cache')
      .send(html);
  };
  app.get('/', (_request, reply) => page(reply));
  app.get('/tree', (_request, reply) => page(reply));
  app.get('/tree/*', (_request, reply) => page(reply));
  app.get('/notebooks/*', (_request, reply) => page(reply));
  for (const file of ['favicon.ico', 'favicon.svg']) {
    app.get(`/${file}`, (_request, reply) => {
      const path = `${DIST}${file}`;
      if (!existsSync(path)) return reply.status(404).send();
      return reply.type(file.endsWith('.svg') ? 'image/svg+xml' : 'image/x-icon').send(readFileSync(path));
    });
  }
}
