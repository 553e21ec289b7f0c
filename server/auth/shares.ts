// Share links: a token that grants one notebook (by fileId, so it survives renames) at one
// role. Only a hash of each token is stored; the token itself is shown once, at creation. A
// `reader` link is made by publishing a job: it reaches that one report, never the notebook.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { Role } from '../../common/doc-schema';
import { SharedJsonFile } from '../storage/shared-json-file';
import { generateToken, sha256 } from './tokens';

export type ShareRole = Exclude<Role, 'owner'>;
/** The roles POST /api/shares gives; reader links come from publishing a report. */
export const SHARE_ROLES: readonly ShareRole[] = ['viewer', 'runner', 'editor'];

export interface Share {
  id: string;
  fileId: string;
  role: ShareRole;
  createdAt: string;
  createdBy: string;
  tokenHash: string;
  /** For a reader link: the report (job id) it reaches. */
  report?: string;
}

interface SharesFile {
  version: 1;
  shares: Share[];
}

type SharesByHash = Map<string, Share>;

function parseShares(json: unknown): SharesByHash {
  return new Map(((json as SharesFile).shares ?? []).map((share) => [share.tokenHash, share]));
}

function serialise(byHash: SharesByHash): string {
  const stored: SharesFile = { version: 1, shares: [...byHash.values()] };
  return JSON.stringify(stored, null, 1);
}

// Replicas of a cluster share the links through the state directory (shared-json-file.ts): a
// link made on one works on every other at once, and a revoked one stops on all.
export class ShareStore {
  private readonly file: SharedJsonFile<SharesByHash>;

  constructor(stateDir: string, onWrite?: (path: string) => void) {
    this.file = new SharedJsonFile(join(stateDir, 'shares.json'), () => new Map(), parseShares, onWrite);
  }

  create(fileId: string, role: ShareRole, createdBy: string, report?: string): { share: Share; token: string } {
    const token = generateToken();
    const share: Share = {
      id: randomUUID(),
      fileId,
      role,
      createdAt: new Date().toISOString(),
      createdBy,
      tokenHash: sha256(token).toString('hex'),
      ...(report ? { report } : {}),
    };
    this.file.update((byHash) => byHash.set(share.tokenHash, share), serialise);
    return { share, token };
  }

  /** The share a token grants. The lookup is by hash, so timing reveals nothing of the token. */
  findByToken(token: string): Share | undefined {
    const hash = sha256(token);
    const share = this.file.read().get(hash.toString('hex'));
    if (!share) return undefined;
    return timingSafeEqual(hash, Buffer.from(share.tokenHash, 'hex')) ? share : undefined;
  }

  get(id: string): Share | undefined {
    for (const share of this.file.read().values()) if (share.id === id) return share;
    return undefined;
  }

  list(fileId: string): Share[] {
    return [...this.file.read().values()].filter((share) => share.fileId === fileId);
  }

  revoke(id: string): Share | undefined {
    if (!this.get(id)) return undefined;
    return this.file.update((byHash) => {
      for (const [hash, share] of byHash) {
        if (share.id !== id) continue;
        byHash.delete(hash);
        return share;
      }
      return undefined;
    }, serialise);
  }

  /** Drops the shares of deleted files. */
  revokeFiles(fileIds: string[]): void {
    const gone = new Set(fileIds);
    if (![...this.file.read().values()].some((share) => gone.has(share.fileId))) return;
    this.file.update((byHash) => {
      for (const [hash, share] of byHash) if (gone.has(share.fileId)) byHash.delete(hash);
    }, serialise);
  }
}
