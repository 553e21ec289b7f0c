// The display name this browser chose, kept in localStorage so that it outlives the session
// cookie: another share link, an expired session or a rotated token starts a new session, and
// the person should not be "Anonymous Io" again. At sign-in the name is handed to the server
// (PATCH /api/me), which keeps it in the session, so rooms, cursors and run records carry it.
import { type Me, setMyName } from './api/me';

const KEY = 'tandem.displayName';

export function rememberedName(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    // Storage can be switched off; then the session cookie alone remembers the name.
    return null;
  }
}

export function rememberName(name: string): void {
  try {
    localStorage.setItem(KEY, name);
  } catch {
    // As above: nothing else to do.
  }
}

/** Gives a new session the name this browser chose before, if it has another one. */
export async function applyRememberedName(me: Me): Promise<Me> {
  const name = rememberedName();
  if (!name || name === me.identity.display_name) return me;
  try {
    const reply = await setMyName(name);
    return { ...me, identity: { ...me.identity, ...reply.identity } };
  } catch {
    // A session that cannot be renamed (a token in a header) keeps the server's name.
    return me;
  }
}
