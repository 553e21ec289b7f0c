// Kernelspecs in Jupyter Server's shape: GET /api/kernelspecs, /api/kernelspecs/{name}, and the
// files beside each spec (logos) at /kernelspecs/{name}/{file}. Each spec's environment
// variables are left out: they are the server's business.

import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { findKernelSpec, findKernelSpecs, type KernelSpec } from '../../../kernel-bridge';
import { requirePrincipal } from '../auth';
import { notFound } from '../errors';

const RESOURCE_TYPES: Record<string, string> = { '.png': 'image/png', '.svg': 'image/svg+xml', '.js': 'text/javascript', '.css': 'text/css' };

/** The spec's logos and other files, by name without extension, as Jupyter Server lists them. */
async function resources(spec: KernelSpec): Promise<Record<string, string>> {
  const files = await readdir(spec.resourceDir).catch(() => [] as string[]);
  const listed = files.filter((file) => RESOURCE_TYPES[extname(file)] !== undefined);
  return Object.fromEntries(
    listed.map((file) => [file.slice(0, -extname(file).length), `/kernelspecs/${encodeURIComponent(spec.name)}/${encodeURIComponent(file)}`]),
  );
}

async function model(spec: KernelSpec): Promise<object> {
  return {
    name: spec.name,
    spec: {
      argv: spec.argv,
      display_name: spec.displayName,
      language: spec.language,
      interrupt_mode: spec.interruptMode,
      env: {},
      metadata: spec.metadata,
    },
    resources: await resources(spec),
  };
}

export function kernelspecRoutes(app: FastifyInstance, defaultKernel: string): void {
  app.get('/api/kernelspecs', async (request) => {
    requirePrincipal(request);
    const specs = await findKernelSpecs();
    return {
      default: defaultKernel,
      kernelspecs: Object.fromEntries(await Promise.all(specs.map(async (spec) => [spec.name, await model(spec)] as const))),
    };
  });

  app.get<{ Params: { name: string } }>('/api/kernelspecs/:name', async (request) => {
    requirePrincipal(request);
    const spec = await findKernelSpec(request.params.name);
    if (!spec) throw notFound(`No kernelspec named ${request.params.name}`);
    return model(spec);
  });

  app.get<{ Params: { name: string; file: string } }>('/kernelspecs/:name/:file', async (request, reply) => {
    requirePrincipal(request);
    const spec = await findKernelSpec(request.params.name);
    const { file } = request.params;
    const type = RESOURCE_TYPES[extname(file)];
    // Only a file listed in the spec's own directory: no path in the name.
    const listed = spec ? await readdir(spec.resourceDir).catch(() => [] as string[]) : [];
    if (!spec || !type || !listed.includes(file)) throw notFound('No such kernelspec resource');
    void reply.header('Content-Type', type).header('X-Content-Type-Options', 'nosniff');
    return reply.send(createReadStream(join(spec.resourceDir, file)));
  });
}
