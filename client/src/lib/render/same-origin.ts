// Links that outputs carry (the server's marker for a cut output) may only lead back to this
// server. A check on the raw text is not enough: browsers read `/\host` and `/<TAB>/host` as
// `//host`, another site. So the link is resolved as the browser would, and kept only if it
// stays on our origin.

/** The link as a same-origin path (path, query and fragment), or null if it leads elsewhere. */
export function sameOriginPath(url: unknown, origin: string): string | null {
  if (typeof url !== 'string' || !url.startsWith('/')) return null;
  let resolved: URL;
  try {
    resolved = new URL(url, origin);
  } catch {
    return null;
  }
  if (resolved.origin !== new URL(origin).origin) return null;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
