// Who a person is in the room: a stable username, a display name, initials and a colour,
// in the shape of Jupyter Server's `/api/me` identity. The owner is named after the system
// user running the server, as Jupyter Server names its user; everyone else is an anonymous
// moon until they choose a name.

import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Identity } from '../../common/api';

// Jupyter names anonymous users after moons; so do we, for familiarity.
const MOONS = [
  'Adrastea',
  'Aitne',
  'Amalthea',
  'Ananke',
  'Callisto',
  'Carme',
  'Dia',
  'Elara',
  'Europa',
  'Ganymede',
  'Himalia',
  'Io',
  'Kale',
  'Leda',
  'Lysithea',
  'Metis',
  'Pasiphae',
  'Sinope',
  'Thebe',
  'Themisto',
  'Titan',
  'Rhea',
  'Tethys',
  'Dione',
  'Mimas',
  'Enceladus',
  'Hyperion',
  'Iapetus',
  'Phoebe',
  'Janus',
  'Miranda',
  'Ariel',
  'Umbriel',
  'Oberon',
  'Triton',
  'Nereid',
];

// Colours picked to stay readable as cursor labels on white.
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#e377c2',
  '#8c564b',
  '#17becf',
  '#bcbd22',
  '#ff7f0e',
  '#3b5bdb',
  '#c2255c',
  '#2b8a3e',
  '#5f3dc4',
  '#e8590c',
  '#0b7285',
  '#862e9c',
];

function pick<T>(list: readonly T[], seed: Buffer, offset: number): T {
  return list[seed.readUInt16BE(offset) % list.length];
}

/** An identity derived from a seed, so the same session always gets the same one. */
export function identityFromSeed(seed: string, displayName?: string): Identity {
  const digest = createHash('sha256').update(seed).digest();
  const name = displayName ?? `Anonymous ${pick(MOONS, digest, 0)}`;
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => [...word][0]!.toUpperCase())
    .slice(0, 2)
    .join('');
  return {
    username: digest.toString('hex').slice(0, 16),
    name,
    display_name: name,
    initials,
    color: pick(COLORS, digest, 2),
    avatar_url: null,
  };
}

/** Longest display name kept, in characters: enough for a full name, short for a cursor label. */
export const MAX_DISPLAY_NAME = 64;

let owner: string | undefined;

/** The system user running the server, or "Owner" where the system has no name for it. */
export function ownerName(): string {
  if (owner === undefined) {
    let name = '';
    try {
      name = [...(cleanDisplayName(userInfo().username) ?? '')].slice(0, MAX_DISPLAY_NAME).join('');
    } catch {
      // No passwd entry (some containers): userInfo throws.
    }
    owner = name || 'Owner';
  }
  return owner;
}

/**
 * A chosen display name as others will see it, or undefined if nothing is left: Unicode
 * normalised, without control or format characters (bidirectional overrides, zero-width
 * joiners: they can make one name look like another), spaces collapsed. Callers check the
 * length (MAX_DISPLAY_NAME characters).
 */
export function cleanDisplayName(raw: string): string | undefined {
  const name = raw
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  return name || undefined;
}

/** A browser session's identity: its chosen name, or the owner's name, or a moon. */
export function sessionIdentity(session: { sid: string; kind: 'owner' | 'share'; name?: string }): Identity {
  return identityFromSeed(`session:${session.sid}`, session.name ?? (session.kind === 'owner' ? ownerName() : undefined));
}
