// What Jupyter clients ask of any Jupyter Server besides kernels: its API version, and
// front-end config sections, which Tandem does not keep (an empty section, not a 404).

import type { FastifyInstance } from 'fastify';
import { requirePrincipal } from '../auth';

/** The Jupyter Server REST API generation whose shapes Tandem follows. */
const JUPYTER_SERVER_API_VERSION = '2.14.0';

export function jupyterServerRoutes(app: FastifyInstance): void {
  app.get('/api', { config: { anonymous: true } }, async () => ({ version: JUPYTER_SERVER_API_VERSION }));
  app.get('/api/config/:section', async (request) => {
    requirePrincipal(request);
    return {};
  });
}
