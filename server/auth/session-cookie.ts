// The browser session: after signing in with a token in the URL, the browser carries a
// signed cookie instead, so the token can leave the address bar. The cookie names the
// principal (owner, or one share) and a session id that seeds the person's identity.

import { randomUUID } from 'node:crypto';
import { sha256 } from './tokens';

export const SESSION_COOKIE = 'tandem-session';

export interface SessionPayload {
  v: 1;
  /** Session id: each browser gets its own identity, even when people share a token. */
  sid: string;
  kind: 'owner' | 'share';
  shareId?: string;
  /**
   * For owner sessions, a fingerprint of the server token they signed in with: changing
   * the token signs every owner session out.
   */
  tokenTag?: string;
  /** The display name the person chose, if any. */
  name?: string;
}

export function ownerTokenTag(serverToken: string): string {
  return sha256(`tandem-owner:${serverToken}`).toString('hex').slice(0, 16);
}

export function newSession(kind: 'owner' | 'share', ref: string): SessionPayload {
  return kind === 'owner' ? { v: 1, sid: randomUUID(), kind, tokenTag: ref } : { v: 1, sid: randomUUID(), kind, shareId: ref };
}

export function encodeSession(payload: SessionPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeSession(value: string): SessionPayload | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<SessionPayload>;
    if (parsed.v !== 1 || typeof parsed.sid !== 'string') return undefined;
    if (parsed.kind !== 'owner' && parsed.kind !== 'share') return undefined;
    if (parsed.name !== undefined && typeof parsed.name !== 'string') return undefined;
    return parsed as SessionPayload;
  } catch {
    return undefined;
  }
}
