// GET /api/kernelspecs: the installed kernels, in Jupyter Server's shape (the first piece of
// its kernel API, so JupyterLab's services and the Environment panel can list them). Each
// spec's environment variables are left out: they are the server's business.

import type { FastifyInstance } from 'fastify';
import { findKernelSpecs } from '../../../kernel-bridge';
import { requirePrincipal } from '../auth';

export function kernelspecRoutes(app: FastifyInstance, defaultKernel: string): void {
  app.get('/api/kernelspecs', async (request) => {
    requirePrincipal(request);
    const specs = await findKernelSpecs();
    return {
      default: defaultKernel,
      kernelspecs: Object.fromEntries(
        specs.map((spec) => [
          spec.name,
          {
            name: spec.name,
            spec: {
              argv: spec.argv,
              display_name: spec.displayName,
              language: spec.language,
              interrupt_mode: spec.interruptMode,
              env: {},
              metadata: spec.metadata,
            },
            resources: {},
          },
        ]),
      ),
    };
  });
}
