// Sign-in by link: the server turns `?token=` on any page into an HttpOnly session cookie.
// We take the token out of the address bar at once, so it is not bookmarked, copied into
// chats or kept in history, and ask /api/me with the cookie: that session is who we are in
// rooms and runs. Only if no cookie was set (the page came from a cache) is the token sent
// once more, which sets it.
import { ApiError, request } from './api/http';
import { fetchMe, type Me } from './api/me';
import { applyRememberedName } from './display-name';

export function takeTokenFromUrl(): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return token;
}

export type SignIn = { kind: 'signed-in'; me: Me } | { kind: 'signed-out'; message?: string };

export async function signIn(): Promise<SignIn> {
  const token = takeTokenFromUrl();
  try {
    let me: Me;
    try {
      me = await fetchMe();
    } catch (err) {
      if (!token || !(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) throw err;
      await request<Me>('GET', `/api/me?token=${encodeURIComponent(token)}`);
      me = await fetchMe();
    }
    return { kind: 'signed-in', me: await applyRememberedName(me) };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      // A rotated server token is worth explaining even without a token in the URL: the
      // browser's old sign-in is what stopped working.
      if (err.reason === 'token_rotated') return { kind: 'signed-out', message: err.message };
      return {
        kind: 'signed-out',
        message: token ? 'That link or token is not valid, or it has been revoked.' : undefined,
      };
    }
    throw err;
  }
}

/** Signs in with a pasted token by revisiting the page with it, as a link would. */
export function signInWithToken(token: string): void {
  const url = new URL(location.href);
  url.searchParams.set('token', token.trim());
  location.assign(url.toString());
}
