// GET /api/me: who the caller is and what they may do, in Jupyter Server's shape.
// PATCH /api/me {name}: a browser session chooses the name collaborators see.

import type { FastifyInstance } from 'fastify';
import type { Me, Renamed } from '../../../common/api';
import { ROLES, type Role, roleAtLeast } from '../../../common/doc-schema';
import { cleanDisplayName, MAX_DISPLAY_NAME, sessionIdentity } from '../../auth/identity';
import type { Principal } from '../../auth/principal';
import type { FileIdIndex } from '../../storage/file-ids';
import { type Authenticator, requirePrincipal } from '../auth';
import { badRequest } from '../errors';

const ACTIONS_BY_ROLE: Record<Role, Record<string, string[]>> = {
  reader: { reports: ['read'] },
  viewer: { contents: ['read'], notebooks: ['read'] },
  runner: { contents: ['read'], notebooks: ['read', 'execute'], kernels: ['execute'] },
  editor: { contents: ['read', 'write'], notebooks: ['read', 'write', 'execute', 'share'], kernels: ['execute'] },
  owner: {
    contents: ['read', 'write', 'create', 'delete'],
    notebooks: ['read', 'write', 'execute', 'share'],
    kernels: ['read', 'execute', 'write'],
    shares: ['read', 'write'],
  },
};

function roleOf(principal: Principal): Role {
  return principal.kind === 'owner' ? 'owner' : principal.share.role;
}

/** Jupyter's `?permissions={"contents":["read","write"]}` asks which of these are granted. */
function grantedSubset(role: Role, asked: unknown): Record<string, string[]> {
  const granted = ACTIONS_BY_ROLE[role];
  if (typeof asked !== 'object' || asked === null) return granted;
  const out: Record<string, string[]> = {};
  for (const [resource, actions] of Object.entries(asked as Record<string, unknown>)) {
    const have = Object.hasOwn(granted, resource) ? granted[resource] : [];
    out[resource] = Array.isArray(actions) ? actions.filter((a): a is string => typeof a === 'string' && have.includes(a)) : [];
  }
  return out;
}

export function meRoutes(app: FastifyInstance, auth: Authenticator, fileIds: FileIdIndex): void {
  app.get<{ Querystring: { permissions?: string }; Reply: Me }>('/api/me', async (request) => {
    const principal = requirePrincipal(request);
    let asked: unknown;
    if (request.query.permissions) {
      try {
        asked = JSON.parse(request.query.permissions);
      } catch {
        throw badRequest('permissions must be JSON');
      }
    }
    const role = roleOf(principal);
    return {
      identity: principal.identity,
      permissions: grantedSubset(role, asked),
      role,
      roles: ROLES.filter((r) => roleAtLeast(role, r)),
      share:
        principal.kind === 'share'
          ? {
              fileId: principal.share.fileId,
              role: principal.share.role,
              // A reader learns nothing of the notebook, not even where it is.
              path: principal.share.role === 'reader' ? null : (fileIds.pathOf(principal.share.fileId) ?? null),
              report: principal.share.report ?? null,
            }
          : null,
    };
  });

  app.patch<{ Body: { name: string }; Reply: Renamed }>(
    '/api/me',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          // Room for invisible characters that cleaning removes; the name itself is checked below.
          properties: { name: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    async (request, reply) => {
      requirePrincipal(request);
      const session = request.session;
      if (!session) throw badRequest('Only a signed-in browser session can choose a name');
      const name = cleanDisplayName(request.body.name);
      if (!name) throw badRequest('The name is empty once invisible characters are removed');
      if ([...name].length > MAX_DISPLAY_NAME) throw badRequest(`A name has at most ${MAX_DISPLAY_NAME} characters`);
      const renamed = { ...session, name };
      auth.writeSession(reply, renamed);
      return { identity: sessionIdentity(renamed) };
    },
  );
}
