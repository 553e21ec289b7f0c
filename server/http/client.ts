// Serves the browser client (built by Vite into client/dist): its assets under /assets/, and
// its single page for /, /tree/..., /notebooks/..., /reports/... and /runs/... . Pages carry a Content-Security-Policy
// so that nothing injected into the app's origin can run script; the output sandbox, where
// outputs' own scripts run in an opaque origin, is served with a policy of its own.

import { existsSync, readFileSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectPath } from '../project-files';

const DIST = `${projectPath('client', 'dist')}/`;

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

/**
 * The policy of /sandbox/output.html, the frame in which outputs that carry script run (HTML
 * with <script>, application/javascript). A srcdoc or blob: frame would inherit the app's
 * policy, under which no inline script runs; this document has its own. The app frames it with
 * sandbox="allow-scripts" only, and the `sandbox` directive below makes its origin opaque even
 * when it is opened some other way, so its scripts never reach the app's page, cookies or API.
 * Scripts may be inline (with 'unsafe-eval', which gives nothing inline script does not, and
 * which charting libraries compile expressions with). Nothing may connect anywhere, so an
 * output cannot call the API or send data out by fetch; and by default nothing at all is
 * loaded from the network, so opening a notebook tells no third party that, or when, it was
 * viewed. A person may allow outputs to load from https: (plotly, bokeh and the like load
 * from CDNs): the frame is then asked for with ?outbound=allow.
 */
function sandboxPolicy(outbound: boolean): string {
  const https = outbound ? ' https:' : '';
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline' 'unsafe-eval' blob: data:${https}`,
    `style-src 'unsafe-inline'${https}`,
    `img-src data: blob:${https}`,
    `font-src data:${https}`,
    `media-src data: blob:${https}`,
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    'sandbox allow-scripts',
  ].join('; ');
}

const SANDBOX_CONTENT_SECURITY_POLICY = sandboxPolicy(false);
const SANDBOX_OUTBOUND_CONTENT_SECURITY_POLICY = sandboxPolicy(true);

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
  app.get('/reports/*', (_request, reply) => page(reply));
  app.get('/runs/*', (_request, reply) => page(reply));
  // The output sandbox (see SANDBOX_CONTENT_SECURITY_POLICY), built from client/public.
  app.get<{ Querystring: { outbound?: string } }>('/sandbox/output.html', (request, reply) => {
    const path = `${DIST}sandbox/output.html`;
    if (!existsSync(path)) return reply.status(404).send();
    const outbound = request.query.outbound === 'allow';
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', outbound ? SANDBOX_OUTBOUND_CONTENT_SECURITY_POLICY : SANDBOX_CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-cache')
      .send(readFileSync(path));
  });
  for (const file of ['favicon.ico', 'favicon.svg']) {
    app.get(`/${file}`, (_request, reply) => {
      const path = `${DIST}${file}`;
      if (!existsSync(path)) return reply.status(404).send();
      return reply.type(file.endsWith('.svg') ? 'image/svg+xml' : 'image/x-icon').send(readFileSync(path));
    });
  }
}
