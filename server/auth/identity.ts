// Who a person is in the room: a stable username, a display name, initials and a colour,
// in the shape of Jupyter Server's `/api/me` identity.

import { createHash } from 'node:crypto';

export interface Identity {
  username: string;
  name: string;
  display_name: string;
  initials: string;
  color: string;
  avatar_url: string | null;
}

// Jupyter names anonymous users after moons; so do we, for familiarity.
const MOONS = [
  'Adrastea', 'Aitne', 'Amalthea', 'Ananke', 'Callisto', 'Carme', 'Dia', 'Elara', 'Europa',
  'Ganymede', 'Himalia', 'Io', 'Kale', 'Leda', 'Lysithea', 'Metis', 'Pasiphae', 'Sinope',
  'Thebe', 'Themisto', 'Titan', 'Rhea', 'Tethys', 'Dione', 'Mimas', 'Enceladus', 'Hyperion',
  'Iapetus', 'Phoebe', 'Janus', 'Miranda', 'Ariel', 'Umbriel', 'Oberon', 'Triton', 'Nereid',
];

// Colours picked to stay readable as cursor labels on white.
const COLORS = [
  '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#e377c2', '#8c564b', '#17becf', '#bcbd22',
  '#ff7f0e', '#3b5bdb', '#c2255c', '#2b8a3e', '#5f3dc4', '#e8590c', '#0b7285', '#862e9c',
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
    .map((word) => word[0]!.toUpperCase())
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
