// Who is making a request and what they may do. The server token owns everything; a share
// token reaches only its own notebook, at its role.

import type { Identity } from '../../common/api';
import type { Role } from '../../common/doc-schema';
import type { Share } from './shares';

export type Principal = { kind: 'owner'; identity: Identity; via: AuthMethod } | { kind: 'share'; share: Share; identity: Identity; via: AuthMethod };

export type AuthMethod = 'header' | 'query' | 'cookie';

/** The principal's role on a notebook, or undefined when it may not see it at all. */
export function roleOn(principal: Principal, fileId: string | undefined): Role | undefined {
  if (principal.kind === 'owner') return 'owner';
  return fileId !== undefined && fileId === principal.share.fileId ? principal.share.role : undefined;
}
