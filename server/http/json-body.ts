// Request bodies as Jupyter Server reads them: JSON whatever the content type says. Its
// client, @jupyterlab/services, sends JSON bodies with fetch's default text/plain, and empty
// bodies (interrupt, delete, restore) labelled application/json. Accepting text/plain opens no
// cross-site door: cookie-authenticated writes from other origins are refused in http/auth.ts.

import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors';

export function registerJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') {
      done(null, null);
      return;
    }
    try {
      done(null, JSON.parse(body as string) as unknown);
    } catch {
      done(badRequest('The request body is not valid JSON'), undefined);
    }
  });
}
