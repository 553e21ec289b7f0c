// Collaborator colours: the server gives each identity one, but may send a CSS variable or
// nothing (Jupyter Server does both), so we fall back to a stable colour from the name.

const PALETTE = ['#e65100', '#1565c0', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#ad1457', '#4e342e', '#283593', '#558b2f'];

export function colorFor(name: string, given?: string | null): string {
  if (given && /^#[0-9a-f]{3,8}$/i.test(given)) return given;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** The colour at low alpha, for selections. Accepts #rgb and #rrggbb. */
export function tint(color: string, alpha = 0.25): string {
  let hex = color.replace('#', '');
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  hex = hex.slice(0, 6);
  const a = Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0');
  return `#${hex}${a}`;
}

export function initialsOf(name: string, given?: string | null): string {
  if (given) return given.slice(0, 2).toUpperCase();
  const parts = name
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  if (parts.length === 0) return '?';
  if (parts.length === 1) return parts[0].slice(0, 2).toUpperCase();
  return (parts[0][0] + parts[parts.length - 1][0]).toUpperCase();
}
