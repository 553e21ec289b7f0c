// Share links: a token that grants one notebook (by fileId, so it survives renames) at one
// role. Only a hash of each token is stored; the token itself is shown once, at creation. A
// `reader` link is made by publishing a job: it reaches that one report, never the notebook.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '../../common/doc-schema';
import { writeFileAtomicSync } from '../storage/atomic-write';
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

export class ShareStore {
  private readonly byHash = new Map<string, Share>();
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, 'shares.json');
    if (existsSync(this.file)) {
      const stored = JSON.parse(readFileSync(this.file, 'utf8')) as SharesFile;
      for (const share of stored.shares) this.byHash.set(share.tokenHash, share);
    }
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
    this.byHash.set(share.tokenHash, share);
    this.persist();
    return { share, token };
  }

  /** The share a token grants. The lookup is by hash, so timing reveals nothing of the token. */
  findByToken(token: string): Share | undefined {
    const hash = sha256(token);
    const share = this.byHash.get(hash.toString('hex'));
    if (!share) return undefined;
    return timingSafeEqual(hash, Buffer.from(share.tokenHash, 'hex')) ? share : undefined;
  }

  get(id: string): Share | undefined {
    for (const share of this.byHash.values()) if (share.id === id) return share;
    return undefined;
  }

  list(fileId: string): Share[] {
    return [...this.byHash.values()].filter((share) => share.fileId === fileId);
  }

  revoke(id: string): Share | undefined {
    const share = this.get(id);
    if (!share) return undefined;
    this.byHash.delete(share.tokenHash);
    this.persist();
    return share;
  }

  /** Drops the shares of deleted files. */
  revokeFiles(fileIds: string[]): void {
    const gone = new Set(fileIds);
    let changed = false;
    for (const [hash, share] of this.byHash) {
      if (gone.has(share.fileId)) {
        this.byHash.delete(hash);
        changed = true;
      }
    }
    if (changed) this.persist();
  }

  private persist(): void {
    const stored: SharesFile = { version: 1, shares: [...this.byHash.values()] };
    writeFileAtomicSync(this.file, JSON.stringify(stored, null, 1), 0o600);
  }
}
