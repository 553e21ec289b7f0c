// Environments over HTTP. GET /api/notebooks/{fileId}/environment tells the Environment panel
// what the notebook's specification resolves to (or why it cannot be used), whether that
// environment is built, and what it holds. GET /api/environments lists the cache and the warm
// pool, for the server's owner. The specification itself is edited in the notebook's metadata,
// through the document, like any other metadata.

import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { EnvironmentResolution } from '../../../common/api';
import type { EnvironmentSpec } from '../../../common/doc-schema';
import { InvalidEnvironmentSpec, NoInterpreter } from '../../../kernel-bridge/environments';
import type { RootPaths } from '../../contents/paths';
import type { EnvironmentService, Resolution } from '../../environments/environment-service';
import { environmentSpecOf, kernelNameOf } from '../../environments/notebook-metadata';
import type { OpenNotebooks } from '../../notebooks/open-notebooks';
import type { FileIdIndex } from '../../storage/file-ids';
import { requireOwner, requireRole } from '../auth';

export interface EnvironmentRouteDeps {
  environments: EnvironmentService;
  notebooks: OpenNotebooks;
  fileIds: FileIdIndex;
  paths: RootPaths;
}

export function environmentRoutes(app: FastifyInstance, deps: EnvironmentRouteDeps): void {
  app.get<{ Params: { fileId: string }; Reply: EnvironmentResolution }>('/api/notebooks/:fileId/environment', async (request) => {
    const { fileId } = request.params;
    requireRole(request, fileId, 'viewer');
    return deps.notebooks.with(fileId, async (open): Promise<EnvironmentResolution> => {
      const specification = environmentSpecOf(open.room.doc) ?? null;
      const apiPath = deps.fileIds.pathOf(fileId) ?? '';
      let resolution: Resolution;
      try {
        resolution = await deps.environments.resolve({
          rawSpec: specification ?? undefined,
          kernelName: kernelNameOf(open.room.doc),
          baseDir: dirname(deps.paths.resolve(apiPath).absolute),
        });
      } catch (error) {
        if (error instanceof InvalidEnvironmentSpec || error instanceof NoInterpreter) return { specification, error: error.message };
        throw error;
      }
      // It resolved, so the specification as stored is a valid one.
      const valid = specification as EnvironmentSpec | null;
      if (resolution.kind === 'kernelspec') return { specification: valid, kind: 'kernelspec', kernelspec: resolution.spec.name };
      const { plan } = resolution;
      const built = await deps.environments.environments.lookup(plan.id);
      return {
        specification: valid,
        kind: 'environment',
        id: plan.id,
        kernelspec: resolution.like.name,
        python: { path: plan.base.path, version: plan.base.version },
        status: built ? 'built' : deps.environments.environments.cache.isBuilding(plan.id) ? 'building' : 'not built',
        ...(built
          ? {
              built: {
                builtAt: built.manifest.builtAt,
                buildMs: built.manifest.buildMs,
                installer: built.manifest.installer,
                ipykernel: built.manifest.ipykernel,
                packages: built.manifest.packages,
              },
            }
          : {}),
      };
    });
  });

  app.get('/api/environments', async (request) => {
    requireOwner(request);
    const cache = deps.environments.environments.cache;
    const ids = (await readdir(cache.dir).catch(() => [] as string[])).filter((name) => cache.isId(name));
    const environments = [];
    for (const id of ids) {
      const built = await cache.lookup(id);
      if (!built) continue;
      const lastUsed = await cache.lastUsed(id);
      environments.push({
        id,
        builtAt: built.manifest.builtAt,
        lastUsed: lastUsed ? new Date(lastUsed).toISOString() : null,
        inUse: cache.isHeld(id),
        installer: built.manifest.installer,
        python: built.manifest.base,
        requirements: built.manifest.requirements,
      });
    }
    return { cacheDir: cache.dir, installer: deps.environments.installer, pool: deps.environments.poolStatus() ?? null, environments };
  });
}
