// The server's own token, kept in the state directory (mode 0600, as Jupyter keeps its cookie
// secret) so that a restart keeps the owner's printed link and browser sessions working.
// Rotating makes a new one. A fingerprint of each token the server has stopped using is kept,
// so that someone who comes back with one is told what happened, not just "not valid".

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../storage/atomic-write';
import { generateToken, sha256 } from './tokens';

const FILE = 'server-token.json';
/** Enough to recognise the links of the last few rotations; older ones just read as invalid. */
const FORMER_KEPT = 20;

interface TokenFile {
  version: 1;
  token: string;
  createdAt: string;
  /** Fingerprints of tokens replaced by a rotation, newest first. */
  former: string[];
}

export interface ServerToken {
  readonly token: string;
  /** given: from --token or TANDEM_TOKEN; kept: from the state directory; new: first start; rotated. */
  readonly source: 'given' | 'kept' | 'new' | 'rotated';
  /** True when `token` was this server's token once and has since been replaced. */
  isFormer(token: string): boolean;
}

export class ServerTokenError extends Error {
  override readonly name = 'ServerTokenError';
}

function fingerprint(token: string): string {
  return sha256(`tandem-former-token:${token}`).toString('hex');
}

function read(file: string): TokenFile | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: Partial<TokenFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<TokenFile>;
  } catch {
    throw new ServerTokenError(`${file} is not readable JSON; remove it (or start with --rotate-token) to make a new token`);
  }
  if (parsed.version !== 1 || typeof parsed.token !== 'string' || parsed.token.length < 8) {
    throw new ServerTokenError(`${file} does not hold a server token; remove it (or start with --rotate-token) to make a new token`);
  }
  const former = Array.isArray(parsed.former) ? parsed.former.filter((f): f is string => typeof f === 'string') : [];
  return { version: 1, token: parsed.token, createdAt: String(parsed.createdAt ?? ''), former };
}

/**
 * The token this server runs with. A given token wins and is not written down (it may be a
 * secret the user keeps elsewhere); otherwise the stored one, or a new one when there is none
 * or `rotate` is set.
 */
export function loadServerToken(stateDir: string, options: { given?: string; rotate?: boolean } = {}): ServerToken {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, FILE);
  const stored = options.rotate ? readForRotation(file) : read(file);
  let token: string;
  let source: ServerToken['source'];
  const former = new Set(stored?.former ?? []);
  if (options.given !== undefined) {
    token = options.given;
    source = 'given';
    // Links made with the stored token stop working while another is given: say why.
    if (stored && stored.token !== token) former.add(fingerprint(stored.token));
  } else if (stored && !options.rotate) {
    token = stored.token;
    source = 'kept';
  } else {
    token = generateToken();
    source = stored ? 'rotated' : 'new';
    const kept = stored ? [fingerprint(stored.token), ...stored.former].slice(0, FORMER_KEPT) : [];
    const next: TokenFile = { version: 1, token, createdAt: new Date().toISOString(), former: kept };
    writeFileAtomicSync(file, `${JSON.stringify(next, null, 1)}\n`, 0o600);
    for (const f of kept) former.add(f);
  }
  const current = fingerprint(token);
  former.delete(current);
  return { token, source, isFormer: (candidate) => former.has(fingerprint(candidate)) };
}

/** A rotation replaces even an unreadable file, keeping what it can of the old one. */
function readForRotation(file: string): TokenFile | undefined {
  try {
    return read(file);
  } catch (error) {
    if (error instanceof ServerTokenError) return undefined;
    throw error;
  }
}
